"""/api/v1/ routes of the applications app (included by jiedao/api_urls.py)."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from jiedao.applications.api.views import ApplicationViewSet, PublicTrackView

router = SimpleRouter()
router.register("applications", ApplicationViewSet, basename="application")
# Anonymous endpoints, included first by jiedao/api_urls.py (see there).
public_urlpatterns = [path("public/track/", PublicTrackView.as_view(), name="public-track")]
urlpatterns = router.urls
