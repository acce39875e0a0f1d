from django import forms
from django.utils.translation import gettext_lazy as _

from jiedao.core.forms import StyledForm
from jiedao.orgs.choices import OrgLevel
from jiedao.orgs.models import REMEDY_NAME_MAX, OrgUnit
from jiedao.orgs.services import REMEDY_NAME_TOO_LONG


class OrgUnitForm(StyledForm):
    name = forms.CharField(label=_("名称"), max_length=100)
    division_code = forms.CharField(
        label=_("区划代码"),
        max_length=15,
        help_text=_("区、街道、社区为 12 位统计用区划代码（区可填 6 位），网格为 15 位。"),
    )
    sort_order = forms.IntegerField(label=_("排序"), min_value=0, initial=0, required=False)
    reconsideration_body = forms.CharField(
        label=_("行政复议机关"),
        max_length=REMEDY_NAME_MAX,
        required=False,
        error_messages={"max_length": REMEDY_NAME_TOO_LONG["reconsideration_body"]},
    )
    litigation_court = forms.CharField(
        label=_("管辖法院"),
        max_length=REMEDY_NAME_MAX,
        required=False,
        error_messages={"max_length": REMEDY_NAME_TOO_LONG["litigation_court"]},
    )

    def __init__(self, *args, inherited=None, **kwargs):
        """`inherited`: the names the node's ancestors give (`OrgUnit.remedy_bodies` of its parent), shown
        under each field as what leaving it blank means."""
        super().__init__(*args, **kwargs)
        for field, example, purpose, unnamed in (
            (
                "reconsideration_body",
                _("例如：××市××区人民政府"),
                _(
                    "申请人不服本节点（及未另行设置的下级）作出的不予受理、不予准予决定时，申请行政复议的机关，"
                    "写入通知书。街道、社区一般为所在区人民政府。"
                ),
                _("不填且上级未设置时，通知书只写“依法申请行政复议”。"),
            ),
            (
                "litigation_court",
                _("例如：××市××区人民法院"),
                _(
                    "申请人不服上述决定时，提起行政诉讼的法院，写入通知书。行政案件实行集中管辖的，"
                    "填集中管辖的法院。"
                ),
                _("不填且上级未设置时，通知书只写“依法向人民法院提起行政诉讼”。"),
            ),
        ):
            value = getattr(inherited, field, "") if inherited else ""
            self.fields[field].widget.attrs["placeholder"] = example
            blank = _("不填则沿用上级的设置：%(value)s。") % {"value": value} if value else unnamed
            self.fields[field].help_text = f"{purpose}{blank}"


class OrgUnitCreateForm(OrgUnitForm):
    level = forms.TypedChoiceField(label=_("层级"), choices=OrgLevel.choices, coerce=int)

    field_order = ["name", "level", "division_code", "sort_order"]


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
