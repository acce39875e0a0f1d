"""/api/v1/ routes of the audit app (included by jiedao/api_urls.py)."""

from rest_framework.routers import DefaultRouter

from jiedao.audit.api.views import AuditEventViewSet

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("audit-events", AuditEventViewSet, basename="auditevent")

urlpatterns = router.urls
