from django.urls import path

from jiedao.public import views

app_name = "public"
urlpatterns = [
    path("", views.PublicHomeView.as_view(), name="home"),
    path("elder-mode/", views.ElderModeView.as_view(), name="elder_mode"),
]
