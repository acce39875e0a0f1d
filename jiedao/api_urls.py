"""/api/v1/: the accounts routes here, every other app's routes from its own `api/urls.py`."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from jiedao.accounts.api.views import ObtainTokenView, UserViewSet
from jiedao.applications.api.urls import public_urlpatterns

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("users", UserViewSet, basename="user")

urlpatterns = [
    # Patterns are tried in order: the anonymous public endpoints take the heaviest traffic and sit first.
    *public_urlpatterns,
    path("auth/token/", ObtainTokenView.as_view(), name="auth-token"),
    *router.urls,
    path("", include("jiedao.orgs.api.urls")),
    path("", include("jiedao.audit.api.urls")),
    path("", include("jiedao.workcalendar.api.urls")),
    path("", include("jiedao.timelimits.api.urls")),
    path("", include("jiedao.dictionaries.api.urls")),
    path("", include("jiedao.parameters.api.urls")),
    path("", include("jiedao.registry.api.urls")),
    path("", include("jiedao.spreadsheets.api.urls")),
    path("", include("jiedao.workflow.api.urls")),
    path("", include("jiedao.catalog.api.urls")),
    path("", include("jiedao.applications.api.urls")),
    path("", include("jiedao.appointments.api.urls")),
    path("", include("jiedao.queueing.api.urls")),
]
