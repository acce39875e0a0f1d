from django.urls import path

from jiedao.audit import views

app_name = "audit"
urlpatterns = [
    path("", views.AuditEventListView.as_view(), name="event_list"),
    path("<int:pk>/", views.AuditEventDetailView.as_view(), name="event_detail"),
    path("export/", views.AuditExportView.as_view(), name="export"),
    path("verify/", views.AuditVerifyView.as_view(), name="verify"),
]
