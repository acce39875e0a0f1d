from django.urls import path

from jiedao.appointments import views

app_name = "appointments"
urlpatterns = [
    # residents
    path("me/", views.MyAppointmentsView.as_view(), name="mine"),
    path("me/book/<int:item_pk>/", views.BookView.as_view(), name="book"),
    path("me/<int:pk>/cancel/", views.CancelView.as_view(), name="cancel"),
    # staff
    path("staff/today/", views.TodayView.as_view(), name="today"),
    path("staff/check-in/", views.CheckInView.as_view(), name="check_in"),
    path("staff/schedule/", views.ScheduleView.as_view(), name="schedule"),
    path("staff/<int:pk>/cancel/", views.HallCancelView.as_view(), name="hall_cancel"),
    path("staff/cancel-day/", views.DayCancelView.as_view(), name="cancel_day"),
    path("staff/closures/<int:pk>/reopen/", views.DayReopenView.as_view(), name="reopen_day"),
]
