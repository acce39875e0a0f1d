"""/api/v1/ routes of the import engine (to be included by jiedao/api_urls.py)."""

from rest_framework.routers import SimpleRouter

from jiedao.spreadsheets.api.views import ImportJobViewSet

router = SimpleRouter()
router.register("imports", ImportJobViewSet, basename="importjob")
urlpatterns = router.urls
