"""/api/v1/ routes of the timelimits app (included by jiedao/api_urls.py)."""

from rest_framework.routers import SimpleRouter

from jiedao.timelimits.api.views import ClockViewSet

router = SimpleRouter()
router.register("clocks", ClockViewSet, basename="clock")
urlpatterns = router.urls
