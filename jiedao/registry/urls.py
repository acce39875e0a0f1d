"""Registry pages: people, households, houses and enterprises under /registry/, statistics under /registry/stats/."""

from django.urls import include, path

app_name = "registry"
urlpatterns = [
    path("", include("jiedao.registry.ui.urls")),
    path("stats/", include("jiedao.registry.statistics.urls")),
]
