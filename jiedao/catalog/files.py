"""The blank form (空白表格) and filled-in sample (示例样表) of a material, as downloads: the public guide's link
(published items only) and the staff link of the material's edit page (items in scope) serve them alike."""

from django.http import FileResponse, Http404
from django.utils.translation import gettext_lazy as _

from jiedao.catalog.models import Material

# The kind in a download's address => the material's file field, and the label its download is named with.
MATERIAL_FILE_KINDS = {"blank": "blank_form", "sample": "sample"}
MATERIAL_FILE_LABELS = {"blank": _("空白表格"), "sample": _("示例样表")}


def material_file_name(material: Material, kind: str) -> str:
    """The name a blank form or sample downloads under: 材料名（空白表格）.xlsx."""
    stored = getattr(material, MATERIAL_FILE_KINDS[kind])
    base = stored.name.rsplit("/", 1)[-1]
    extension = base.rsplit(".", 1)[-1] if "." in base else ""
    return f"{material.name}（{MATERIAL_FILE_LABELS[kind]}）" + (f".{extension}" if extension else "")


def material_file_response(material: Material, kind: str) -> FileResponse:
    """The material's `kind` file ("blank" or "sample") as an attachment; 404 for another kind or when the
    material has no such file (none uploaded, or gone from the storage). The caller finds the material in
    its own scope."""
    field_name = MATERIAL_FILE_KINDS.get(kind)
    if field_name is None:
        raise Http404
    stored = getattr(material, field_name)
    if not stored or not stored.storage.exists(stored.name):
        raise Http404(_("该材料没有可下载的文件。"))
    return FileResponse(stored.open("rb"), as_attachment=True, filename=material_file_name(material, kind))
