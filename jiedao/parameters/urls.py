from django.urls import path

from jiedao.parameters import views

app_name = "parameters"
urlpatterns = [
    path("", views.ParameterListView.as_view(), name="parameter_list"),
    path("<str:key>/", views.ParameterEditView.as_view(), name="parameter_edit"),
    path("<str:key>/reset/", views.ParameterResetView.as_view(), name="parameter_reset"),
]
