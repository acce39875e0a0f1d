from django.shortcuts import redirect
from django.urls import reverse

from jiedao.accounts.services import password_expired

ALWAYS_ALLOWED = ("/accounts/", "/static/", "/i18n/", "/healthz", "/readyz", "/api/")


class LoginPolicyMiddleware:
    """After login: an expired or initial password must be changed, and admin roles must have passed TOTP."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not request.path.startswith(ALWAYS_ALLOWED):
            if user.requires_two_factor and not request.session.get("second_factor_done"):
                from django.contrib.auth import logout

                logout(request)
                return redirect(reverse("accounts:login"))
            if password_expired(user):
                return redirect(reverse("accounts:password_change"))
        return self.get_response(request)
