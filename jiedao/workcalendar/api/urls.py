"""/api/v1/ routes of the workcalendar app (included by jiedao/api_urls.py)."""

from django.urls import path

from jiedao.workcalendar.api import views

urlpatterns = [
    path("calendar/working-days/", views.WorkingDaysView.as_view(), name="calendar-working-days"),
    path("calendar/days/", views.DaysView.as_view(), name="calendar-days"),
]
