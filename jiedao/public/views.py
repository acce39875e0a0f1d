from django.views.generic import TemplateView


class PublicHomeView(TemplateView):
    scope_exempt = "public site, no login, no personal data"
    template_name = "public/home.html"
