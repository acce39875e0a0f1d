"""/api/v1/queue/ routes of 排队叫号 (included by jiedao/api_urls.py): the window terminal's calls."""

from rest_framework.routers import SimpleRouter

from jiedao.queueing.api import views

router = SimpleRouter()
router.register("queue/lines", views.QueueLineViewSet, basename="queue-line")
router.register("queue/windows", views.QueueWindowViewSet, basename="queue-window")
router.register("queue/tickets", views.QueueTicketViewSet, basename="queue-ticket")
urlpatterns = router.urls
