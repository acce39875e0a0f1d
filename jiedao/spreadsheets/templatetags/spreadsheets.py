"""Template tags of the import engine: the “导入” / “下载模板” links a list page shows for its model."""

from __future__ import annotations

from django import template
from django.urls import reverse
from django.utils.translation import gettext as _

from jiedao.core.scope import has_permission
from jiedao.spreadsheets.specs import all_specs

register = template.Library()
JOB_PERMISSION = "spreadsheets.view_importjob"  # following the job after the upload


@register.simple_tag(takes_context=True)
def import_actions(context, view) -> list[dict[str, str]]:
    """Links ({url, label, icon, testid}) for the import specs that fill the model of a list `view` (a spec names
    `<app>.add_<model>` as its permission) and that the signed-in user may run: the spec's own permission
    and the import-job view, without which the upload would lead to a job page the user may not open. A list
    that is no register of its model (a work list) sets `import_model = None`."""
    model = getattr(view, "import_model", getattr(view, "model", None))
    request = context.get("request")
    user = getattr(request, "user", None)
    if model is None or user is None or not has_permission(user, JOB_PERMISSION):
        return []
    wanted = f"{model._meta.app_label}.add_{model._meta.model_name}"
    links = []
    for spec in all_specs():
        if spec.permission == wanted and has_permission(user, spec.permission):
            links += [
                {
                    "url": reverse("spreadsheets:import_start", args=[spec.key]),
                    "label": _("导入"),
                    "icon": "file-earmark-arrow-up",
                    "testid": "import",
                },
                {
                    "url": reverse("spreadsheets:import_template", args=[spec.key]),
                    "label": _("下载模板"),
                    "icon": "download",
                    "testid": "import-template",
                },
            ]
    return links
