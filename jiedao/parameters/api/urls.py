"""/api/v1/ routes of the parameters app (included by jiedao/api_urls.py)."""

from rest_framework.routers import SimpleRouter

from jiedao.parameters.api.views import ParameterViewSet

router = SimpleRouter(trailing_slash=True)
router.register("parameters", ParameterViewSet, basename="parameter")

urlpatterns = router.urls
