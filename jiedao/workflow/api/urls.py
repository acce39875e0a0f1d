"""/api/v1/ routes of the workflow app (included by jiedao/api_urls.py)."""

from rest_framework.routers import SimpleRouter

from jiedao.workflow.api.views import ProcessDefinitionViewSet, ProcessInstanceViewSet, TaskViewSet

router = SimpleRouter()
router.register("process-definitions", ProcessDefinitionViewSet, basename="process-definition")
router.register("process-instances", ProcessInstanceViewSet, basename="process-instance")
router.register("tasks", TaskViewSet, basename="workflow-task")
urlpatterns = router.urls
