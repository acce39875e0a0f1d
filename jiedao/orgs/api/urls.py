"""/api/v1/ routes of the orgs app (included by jiedao/api_urls.py)."""

from rest_framework.routers import SimpleRouter

from jiedao.orgs.api.views import OrgUnitViewSet

router = SimpleRouter()
router.register("orgs", OrgUnitViewSet, basename="orgunit")
urlpatterns = router.urls
