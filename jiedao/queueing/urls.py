from django.urls import path

from jiedao.queueing import views

app_name = "queueing"
urlpatterns = [
    # the kiosk of a hall (by its division code, on a registered device), its registration link; public: the
    # display of a hall, a visitor's ticket
    path("hall/<str:code>/", views.KioskView.as_view(), name="kiosk"),
    path("hall/<str:code>/lines/", views.KioskLinesView.as_view(), name="kiosk_lines"),
    path("hall/<str:code>/screen/", views.ScreenView.as_view(), name="screen"),
    path("hall/<str:code>/screen/board/", views.ScreenBoardView.as_view(), name="screen_board"),
    path("kiosk/pair/<str:token>/", views.KioskPairView.as_view(), name="kiosk_pair"),
    path("t/<str:token>/", views.TicketView.as_view(), name="ticket"),
    path("t/<str:token>/taken/", views.TicketTakenView.as_view(), name="ticket_taken"),
    path("t/<str:token>/status/", views.TicketStatusView.as_view(), name="ticket_status"),
    path("t/<str:token>/cancel/", views.TicketCancelView.as_view(), name="ticket_cancel"),
    # staff
    path("staff/window/", views.MyWindowView.as_view(), name="my_window"),
    path("staff/windows/<int:pk>/", views.WindowView.as_view(), name="window"),
    path("staff/windows/<int:pk>/lines/", views.WindowLinesView.as_view(), name="window_lines"),
    path("staff/windows/<int:pk>/call/", views.CallNextView.as_view(), name="call_next"),
    path(
        "staff/windows/<int:pk>/tickets/<int:ticket_pk>/<slug:action>/",
        views.TicketActionView.as_view(),
        name="ticket_action",
    ),
    path("staff/lines/", views.LinesView.as_view(), name="lines"),
    path("staff/lines/new/", views.LineCreateView.as_view(), name="line_create"),
    path("staff/lines/<int:pk>/", views.LineEditView.as_view(), name="line_edit"),
    path("staff/halls/<int:hall_pk>/kiosks/", views.KioskDevicesView.as_view(), name="kiosks"),
    path(
        "staff/halls/<int:hall_pk>/kiosks/<int:pk>/stop/",
        views.KioskRevokeView.as_view(),
        name="kiosk_revoke",
    ),
]
