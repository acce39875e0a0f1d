"""/api/v1/ routes of 预约办理 (included by jiedao/api_urls.py): the resident API's bookings."""

from rest_framework.routers import SimpleRouter

from jiedao.appointments.api import views

router = SimpleRouter()
# Resident tokens only, never staff credentials (as /api/v1/resident/applications/).
router.register("resident/appointments", views.ResidentAppointmentViewSet, basename="resident-appointment")
urlpatterns = router.urls
