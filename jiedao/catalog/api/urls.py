"""/api/v1/ routes of the catalog app (included by jiedao/api_urls.py)."""

from rest_framework.routers import SimpleRouter

from jiedao.catalog.api.views import PublicServiceItemViewSet, ServiceItemViewSet

router = SimpleRouter()
router.register("service-items", ServiceItemViewSet, basename="serviceitem")
router.register("public/service-items", PublicServiceItemViewSet, basename="public-serviceitem")
urlpatterns = router.urls
