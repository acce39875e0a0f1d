from django.urls import path

from jiedao.public import views

app_name = "public"
urlpatterns = [
    path("", views.PublicHomeView.as_view(), name="home"),
    path("elder-mode/", views.ElderModeView.as_view(), name="elder_mode"),
    path("language/", views.LanguageView.as_view(), name="language"),
    path("guide/", views.GuideListView.as_view(), name="guide_list"),
    path("guide/materials/<int:pk>/<str:kind>/", views.MaterialFileView.as_view(), name="material_file"),
    path("guide/<str:code>/", views.GuideDetailView.as_view(), name="guide_detail"),
    path("announcements/", views.AnnouncementListView.as_view(), name="announcement_list"),
    path("announcements/<int:pk>/", views.AnnouncementDetailView.as_view(), name="announcement_detail"),
]
