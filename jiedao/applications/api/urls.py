"""/api/v1/ routes of the applications app (included by jiedao/api_urls.py)."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from jiedao.applications.api import resident_views
from jiedao.applications.api.views import ApplicationViewSet, PublicTrackView

router = SimpleRouter()
router.register("applications", ApplicationViewSet, basename="application")
# The resident API (a mini-program, a mobile app): resident tokens only, never staff credentials.
router.register(
    "resident/applications", resident_views.ResidentApplicationViewSet, basename="resident-application"
)
# Anonymous endpoints, included first by jiedao/api_urls.py (see there).
public_urlpatterns = [path("public/track/", PublicTrackView.as_view(), name="public-track")]
resident_urlpatterns = [
    path("resident/auth/code/", resident_views.ResidentCodeView.as_view(), name="resident-auth-code"),
    path("resident/auth/token/", resident_views.ResidentTokenView.as_view(), name="resident-auth-token"),
    path("resident/auth/logout/", resident_views.ResidentLogoutView.as_view(), name="resident-auth-logout"),
    path("resident/me/", resident_views.ResidentProfileView.as_view(), name="resident-me"),
    path("resident/me/identity/", resident_views.ResidentIdentityView.as_view(), name="resident-identity"),
]
urlpatterns = [*resident_urlpatterns, *router.urls]
