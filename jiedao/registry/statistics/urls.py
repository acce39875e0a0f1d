"""Population statistics under /registry/stats/ (included by `jiedao.registry.urls`, namespace "registry")."""

from django.urls import path

from jiedao.registry.statistics import views

urlpatterns = [
    path("", views.StatisticsView.as_view(), name="statistics"),
    path("data.json", views.StatisticsDataView.as_view(), name="statistics_data"),
    path("refresh/", views.StatisticsRefreshView.as_view(), name="statistics_refresh"),
]
