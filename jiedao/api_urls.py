"""/api/v1/: every app registers its viewsets here."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from jiedao.accounts.api.views import ObtainTokenView, UserViewSet

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("users", UserViewSet, basename="user")

urlpatterns = [
    path("auth/token/", ObtainTokenView.as_view(), name="auth-token"),
    *router.urls,
]
