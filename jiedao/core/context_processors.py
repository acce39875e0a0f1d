from django.conf import settings

from jiedao.core.menus import menu_for
from jiedao.core.models import SystemAlert
from jiedao.core.scope import has_permission


def shell(request):
    user = getattr(request, "user", None)
    context = {"site_name": settings.JIEDAO_SITE_NAME}
    if user is not None and user.is_authenticated:
        context["sidebar"] = menu_for(user, request)
        if has_permission(user, "parameters.manage_systemparameter"):
            context["system_alerts"] = SystemAlert.objects.filter(resolved_at__isnull=True)[:5]
    return context
