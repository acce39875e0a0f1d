"""Staff pages of the import engine, included under /imports/."""

from django.urls import path

from jiedao.spreadsheets import views

app_name = "spreadsheets"
urlpatterns = [
    path("", views.ImportJobListView.as_view(), name="importjob_list"),
    path("new/<slug:spec_key>/", views.ImportStartView.as_view(), name="import_start"),
    path("templates/<slug:spec_key>.xlsx", views.ImportTemplateView.as_view(), name="import_template"),
    path("<int:pk>/", views.ImportJobDetailView.as_view(), name="importjob_detail"),
    path("<int:pk>/progress/", views.ImportJobProgressView.as_view(), name="importjob_progress"),
    path("<int:pk>/errors.xlsx", views.ImportJobErrorsView.as_view(), name="importjob_errors"),
    path("<int:pk>/cancel/", views.ImportJobCancelView.as_view(), name="importjob_cancel"),
    path("<int:pk>/resume/", views.ImportJobResumeView.as_view(), name="importjob_resume"),
]
