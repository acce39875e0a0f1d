from django import forms
from django.utils.translation import gettext_lazy as _

from jiedao.core.forms import StyledForm
from jiedao.orgs.models import OrgUnit
from jiedao.spreadsheets.readers import Limits, MiB


class OrgChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: OrgUnit) -> str:
        return _("%(name)s（%(level)s）") % {"name": obj.name, "level": obj.get_level_display()}


class ImportUploadForm(StyledForm):
    org = OrgChoiceField(label=_("导入到"), queryset=OrgUnit.objects.none(), empty_label=None)
    file = forms.FileField(
        label=_("表格文件"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.xls,.csv,.txt"}),
    )

    def __init__(self, *args, orgs=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org"].queryset = orgs if orgs is not None else OrgUnit.objects.none()
        limit = Limits.from_settings().max_upload_bytes
        self.fields["file"].help_text = _(
            "支持 Excel（.xlsx、.xls）和 CSV 文件，不超过 %(mb)d MB。表头可以不在第一行，标题行、说明行会被自动跳过。"
        ) % {"mb": max(1, limit // MiB)}
