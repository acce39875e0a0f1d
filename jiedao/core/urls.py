from django.urls import path

from jiedao.core import views

urlpatterns = [
    path("workbench/", views.HomeView.as_view(), name="home"),
    path("healthz", views.HealthView.as_view(), name="healthz"),
    path("readyz", views.ReadinessView.as_view(), name="readyz"),
]
