from django import forms
from django.utils.translation import gettext_lazy as _

from jiedao.core.forms import StyledForm
from jiedao.orgs.choices import OrgLevel
from jiedao.orgs.models import OrgUnit


class OrgUnitForm(StyledForm):
    name = forms.CharField(label=_("名称"), max_length=100)
    division_code = forms.CharField(
        label=_("区划代码"),
        max_length=15,
        help_text=_("区、街道、社区为 12 位统计用区划代码（区可填 6 位），网格为 15 位。"),
    )
    sort_order = forms.IntegerField(label=_("排序"), min_value=0, initial=0, required=False)


class OrgUnitCreateForm(OrgUnitForm):
    level = forms.TypedChoiceField(label=_("层级"), choices=OrgLevel.choices, coerce=int)


class OrgUnitMoveForm(StyledForm):
    new_parent = forms.ModelChoiceField(label=_("新上级"), queryset=OrgUnit.objects.none())
    division_code = forms.CharField(
        label=_("新区划代码"),
        max_length=15,
        required=False,
        help_text=_("移到另一上级时通常需要新的区划代码；不填则保留原代码。"),
    )

    def __init__(self, *args, parents=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["new_parent"].queryset = parents
