import datetime

from django.urls import path, register_converter

from jiedao.workcalendar import views


class IsoDateConverter:
    regex = r"\d{4}-\d{2}-\d{2}"

    def to_python(self, value: str) -> datetime.date:
        try:
            return datetime.date.fromisoformat(value)
        except ValueError as error:
            raise ValueError(value) from error

    def to_url(self, value) -> str:
        return value.isoformat() if isinstance(value, datetime.date) else str(value)


register_converter(IsoDateConverter, "workcalendar_date")

app_name = "workcalendar"
urlpatterns = [
    path("", views.CalendarView.as_view(), name="calendar"),
    path("days/new/", views.CalendarDayFormView.as_view(), name="day_create"),
    path("days/<workcalendar_date:day>/", views.CalendarDayFormView.as_view(), name="day_edit"),
    path("days/<workcalendar_date:day>/delete/", views.CalendarDayDeleteView.as_view(), name="day_delete"),
    path("years/<int:year>/", views.CalendarYearFormView.as_view(), name="year_edit"),
    path("years/<int:year>/notice/", views.CalendarYearEntryView.as_view(), name="year_enter"),
]
