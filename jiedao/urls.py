from django.urls import include, path
from django.views.i18n import set_language
from drf_spectacular.views import SpectacularAPIView

from jiedao.api_urls import urlpatterns as api_v1
from jiedao.applications.views import CertificateVerifyView, RatingLinkView

set_language.scope_exempt = "switches the interface language"
SpectacularAPIView.scope_exempt = "the OpenAPI schema describes endpoints, not data"

# The API first: Django tries patterns in order, and API clients call far more often than people click.
urlpatterns = [
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/v1/", include((api_v1, "api"))),
    path("", include("jiedao.public.urls")),
    path("", include(("jiedao.core.urls", "core"))),
    path("accounts/", include("jiedao.accounts.urls")),
    path("orgs/", include("jiedao.orgs.urls")),
    path("audit/", include("jiedao.audit.urls")),
    path("calendar/", include("jiedao.workcalendar.urls")),
    path("timelimits/", include("jiedao.timelimits.urls")),
    path("dictionaries/", include("jiedao.dictionaries.urls")),
    path("parameters/", include("jiedao.parameters.urls")),
    path("registry/", include("jiedao.registry.urls")),
    path("imports/", include("jiedao.spreadsheets.urls")),
    path("workflow/", include("jiedao.workflow.urls")),
    path("sms/", include("jiedao.sms.urls")),
    path("catalog/", include("jiedao.catalog.urls")),
    path("hall/", include("jiedao.applications.urls")),
    path("appointments/", include("jiedao.appointments.urls")),
    path("queue/", include("jiedao.queueing.urls")),
    path("i18n/setlang/", set_language, name="set_language"),
    # The rating link sent by SMS: short, at the root (every character counts in an SMS).
    path("r/<str:token>", RatingLinkView.as_view(), name="rating_link"),
    # The check of a certificate's 查验码, printed as a QR code on it: short, at the root.
    path("verify/<str:code>", CertificateVerifyView.as_view(), name="certificate_verify"),
]

handler400 = "jiedao.core.views.bad_request"
handler403 = "django.views.defaults.permission_denied"
handler404 = "jiedao.core.views.page_not_found"
handler500 = "jiedao.core.views.server_error"
