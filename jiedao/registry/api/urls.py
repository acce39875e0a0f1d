"""/api/v1/ routes of the registry app (included by jiedao/api_urls.py)."""

from rest_framework.routers import SimpleRouter

from jiedao.registry.api.households import HouseholdViewSet
from jiedao.registry.api.migrants import MigrantViewSet
from jiedao.registry.api.persons import PersonViewSet
from jiedao.registry.api.places import BuildingViewSet, EnterpriseViewSet, HouseViewSet
from jiedao.registry.api.quality import QualityViewSet
from jiedao.registry.api.tag_reviews import TagReviewViewSet
from jiedao.registry.api.visits import HouseVisitViewSet

router = SimpleRouter()
router.register("persons", PersonViewSet, basename="person")
router.register("households", HouseholdViewSet, basename="household")
router.register("migrants", MigrantViewSet, basename="migrant")
router.register("buildings", BuildingViewSet, basename="building")
router.register("houses", HouseViewSet, basename="house")
router.register("house-visits", HouseVisitViewSet, basename="house-visit")
router.register("enterprises", EnterpriseViewSet, basename="enterprise")
router.register("registry-quality", QualityViewSet, basename="registry-quality")
router.register("tag-reviews", TagReviewViewSet, basename="tag-review")
urlpatterns = router.urls
