"""Forms of the workflow pages that are plain Django forms (task forms are form-js schemas)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from jiedao.core.forms import StyledForm

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ProxyForm(StyledForm):
    proxy = forms.TypedChoiceField(
        label=_("代理人"), coerce=int, empty_value=None, error_messages={"required": _("请选择代理人。")}
    )
    starts_on = forms.DateField(
        label=_("开始日期"), widget=DATE, error_messages={"required": _("请填写开始日期。")}
    )
    ends_on = forms.DateField(
        label=_("结束日期"), widget=DATE, error_messages={"required": _("请填写结束日期。")}
    )
    reason = forms.CharField(
        label=_("委托事由"),
        max_length=200,
        help_text=_("如：休假、出差、外出学习。"),
        error_messages={"required": _("请填写委托事由（如：休假、出差）。")},
    )
    hand_over_open = forms.BooleanField(
        label=_("现有待办也交由代理人办理"),
        required=False,
        help_text=_("不勾选时，只有设置生效后新到达的待办由代理人办理。"),
    )

    def __init__(self, *args, candidates=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.candidates = {user.pk: user for user in candidates}
        self.fields["proxy"].choices = [("", _("请选择"))] + [
            (user.pk, f"{user.full_name or user.username}（{user.org.name}）") for user in candidates
        ]
