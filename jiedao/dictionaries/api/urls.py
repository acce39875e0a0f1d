"""/api/v1/ routes of the dictionaries app (included by jiedao/api_urls.py)."""

from rest_framework.routers import SimpleRouter

from jiedao.dictionaries.api.views import DictionaryTypeViewSet

router = SimpleRouter(trailing_slash=True)
router.register("dictionaries", DictionaryTypeViewSet, basename="dictionary")

urlpatterns = router.urls
