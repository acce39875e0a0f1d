from django.http import HttpResponseRedirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View
from django.views.generic import TemplateView

ELDER_COOKIE = "jiedao_elder"


class PublicPageMixin:
    """Public pages: no login, no personal data; the elderly-friendly mode is a cookie."""

    scope_exempt = "public site, no login, no personal data"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["elder_mode"] = self.request.COOKIES.get(ELDER_COOKIE) == "1"
        return context


class PublicHomeView(PublicPageMixin, TemplateView):
    template_name = "public/home.html"


class ElderModeView(View):
    """Switch the large-type, high-contrast mode (适老化) on or off."""

    scope_exempt = "sets a display preference cookie"
    http_method_names = ["post"]

    def post(self, request):
        target = request.POST.get("next") or "/"
        if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
            target = "/"
        response = HttpResponseRedirect(target)
        if request.POST.get("on") == "1":
            response.set_cookie(ELDER_COOKIE, "1", max_age=365 * 24 * 3600, samesite="Lax")
        else:
            response.delete_cookie(ELDER_COOKIE)
        return response
