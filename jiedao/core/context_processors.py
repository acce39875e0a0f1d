from django.conf import settings

from jiedao.core.menus import menu_for


def shell(request):
    user = getattr(request, "user", None)
    context = {"site_name": settings.JIEDAO_SITE_NAME}
    if user is not None and user.is_authenticated:
        context["sidebar"] = menu_for(user)
    return context
