from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.decorators.csrf import csrf_exempt
from django.views.generic import TemplateView
from django.views.i18n import set_language

from jiedao.catalog import selectors
from jiedao.catalog.choices import AnnouncementCategory, Audience, LifeEvent
from jiedao.catalog.files import material_file_response
from jiedao.catalog.models import Material
from jiedao.public.page_cache import CachedPublicPageMixin

ELDER_COOKIE = "jiedao_elder"
HOME_ANNOUNCEMENTS = 5


class PublicPageMixin:
    """Public pages: no login, no personal data; the elderly-friendly mode is a cookie."""

    scope_exempt = "public site, no login, no personal data"

    @staticmethod
    def elder_mode_requested(request) -> bool:
        return request.COOKIES.get(ELDER_COOKIE) == "1"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["elder_mode"] = self.elder_mode_requested(self.request)
        return context


def _browse_context() -> dict:
    return {
        "audiences": [(Audience.PERSON, _("个人办事")), (Audience.ENTERPRISE, _("企业办事"))],
        "life_events": LifeEvent.choices,
    }


class PublicHomeView(CachedPublicPageMixin, PublicPageMixin, TemplateView):
    template_name = "public/home.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            announcements=selectors.current_announcements()[:HOME_ANNOUNCEMENTS],
            **_browse_context(),
            **kwargs,
        )


class GuideListView(CachedPublicPageMixin, PublicPageMixin, TemplateView):
    """办事指南: search published items, browse by audience (个人 / 企业) and by life event."""

    scope_exempt = "public catalog, published items only"
    template_name = "public/guide_list.html"

    def get_context_data(self, **kwargs):
        params = self.request.GET
        q = params.get("q", "").strip()[:100]
        audience = params.get("audience", "")
        audience = audience if audience in (Audience.PERSON, Audience.ENTERPRISE) else ""
        event = params.get("event", "")
        event = event if event in LifeEvent.values else ""
        search = selectors.guide_search(q=q, audience=audience, life_event=event)
        heading = _("办事指南")
        if event:
            heading = _("人生事件：%(event)s") % {"event": LifeEvent(event).label}
        elif audience:
            heading = _("个人办事") if audience == Audience.PERSON else _("企业办事")
        return super().get_context_data(
            items=search.items,
            approximate=search.approximate,
            q=q,
            audience=audience,
            event=event,
            heading=heading,
            **_browse_context(),
            **kwargs,
        )


class GuideDetailView(CachedPublicPageMixin, PublicPageMixin, TemplateView):
    """One item's guide with every guide field; 在线申请 only for items that can be applied for online."""

    scope_exempt = "public service guide, published items only"
    template_name = "public/guide_detail.html"

    def get_context_data(self, **kwargs):
        item = selectors.published_item(self.kwargs["code"])
        if item is None:
            raise Http404(_("未找到该事项。"))
        # Cached with the page: saving a hall's slots marks the public pages stale (appointments.apps).
        from jiedao.appointments.selectors import takes_bookings

        return super().get_context_data(item=item, takes_bookings=takes_bookings(item), **kwargs)


class MaterialFileView(View):
    """Download the blank form or the filled-in sample of a published item's material."""

    scope_exempt = "public download of blank forms of published items"

    def get(self, request, pk, kind):
        material = get_object_or_404(Material, pk=pk, item__is_published=True, item__org__is_active=True)
        return material_file_response(material, kind)


class AnnouncementListView(CachedPublicPageMixin, PublicPageMixin, TemplateView):
    scope_exempt = "public announcements, published and currently valid only"
    template_name = "public/announcement_list.html"

    def get_context_data(self, **kwargs):
        category = self.request.GET.get("category", "")
        category = category if category in AnnouncementCategory.values else ""
        return super().get_context_data(
            announcements=selectors.current_announcements(category=category),
            categories=AnnouncementCategory.choices,
            category=category,
            category_label=AnnouncementCategory(category).label if category else "",
            **kwargs,
        )


class AnnouncementDetailView(CachedPublicPageMixin, PublicPageMixin, TemplateView):
    scope_exempt = "public announcements, published and currently valid only"
    template_name = "public/announcement_detail.html"

    def get_context_data(self, **kwargs):
        announcement = selectors.current_announcements().filter(pk=self.kwargs["pk"]).first()
        if announcement is None:
            raise Http404(_("未找到该公告，或公告已过期。"))
        return super().get_context_data(announcement=announcement, **kwargs)


@method_decorator(csrf_exempt, name="dispatch")
class ElderModeView(View):
    """Switch the large-type, high-contrast mode (适老化) on or off.

    Without a CSRF token, so that public pages carry nothing per visitor and can be cached: a forged
    request could at most switch someone's font size, and only to a same-site address.
    """

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


@method_decorator(csrf_exempt, name="dispatch")
class LanguageView(View):
    """Switch the interface language (简体中文 / English) from any public page: Django's `set_language`
    (the `language` and a same-site `next`), without a CSRF token for the same reason as the elder mode."""

    scope_exempt = "sets a display preference cookie"
    http_method_names = ["post"]

    def post(self, request):
        return set_language(request)
