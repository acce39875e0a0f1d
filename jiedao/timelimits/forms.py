from django import forms
from django.utils.translation import gettext_lazy as _

from jiedao.core.forms import StyledForm


class ClockPolicyEditForm(StyledForm):
    """Changes the threshold of a given kind (the kind is in the URL)."""

    label = forms.CharField(label=_("名称"), max_length=100, required=False)
    yellow_percent = forms.IntegerField(
        label=_("预警点（占时限的百分比）"),
        min_value=1,
        max_value=99,
        help_text=_(
            "用去时限的这一比例后亮黄灯，例如 80 表示 10 个工作日的事项在第 8 个工作日结束后预警。"
            "修改只影响之后开始计时的事项。"
        ),
    )


class ClockPolicyForm(ClockPolicyEditForm):
    kind = forms.CharField(
        label=_("事项类型"), max_length=64, help_text=_("计时的类型标识，如 services.application。")
    )

    field_order = ["kind", "label", "yellow_percent"]
