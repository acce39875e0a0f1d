from django.urls import path

from jiedao.timelimits import views

app_name = "timelimits"
urlpatterns = [
    path("", views.ClockListView.as_view(), name="clock_list"),
    path("<int:pk>/", views.ClockDetailView.as_view(), name="clock_detail"),
    path("policies/", views.ClockPolicyListView.as_view(), name="policy_list"),
    path("policies/new/", views.ClockPolicyFormView.as_view(), name="policy_create"),
    path("policies/<str:kind>/", views.ClockPolicyFormView.as_view(), name="policy_edit"),
]
