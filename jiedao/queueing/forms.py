from __future__ import annotations

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from jiedao.core.forms import StyledForm
from jiedao.queueing.services import NEAR_AHEAD


class TakeForm(StyledForm):
    """取号 at the kiosk: the phone and the booking code, both optional; the line is the button pressed."""

    phone = forms.CharField(
        label=_("手机号码（选填）"),
        required=False,
        max_length=20,
        help_text=format_lazy(_("留下手机号码的，快轮到您时（前面还有 {n} 位）发短信提醒。"), n=NEAR_AHEAD),
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),  # a shared kiosk
    )
    appointment_code = forms.CharField(
        label=_("预约码（选填）"),
        required=False,
        max_length=12,
        help_text=_("今天已预约的，填写预约短信中的预约码，优先叫号。"),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )


class WindowChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        label = f"{obj.org.name} {obj.number} {obj.name}"
        return label if obj.is_active else _("%(window)s（已停用）") % {"window": label}


class ItemChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.org.name} {obj.name}"


class LineForm(StyledForm):
    org = forms.ModelChoiceField(label=_("服务大厅"), queryset=None)
    name = forms.CharField(
        label=_("业务队列名称"), max_length=50, help_text=_("如“社会救助”，显示在取号机的按钮上")
    )
    prefix = forms.CharField(
        label=_("号码字头"), max_length=1, help_text=_("一个英文大写字母，如 A，号码显示为 A001")
    )
    windows = WindowChoiceField(
        label=_("叫号窗口"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("这些窗口的工作人员可以叫本队列的号；只能选择本服务大厅的窗口。"),
    )
    items = ItemChoiceField(
        label=_("办理事项"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "群众凭预约码取号时，取到办理所预约事项的业务队列的号，优先叫号；只能选择本服务大厅的事项。"
            "不选则本队列不限事项，本大厅任何事项的预约都可在本队列优先取号。"
        ),
    )
    is_active = forms.BooleanField(label=_("开放取号"), required=False, initial=True)

    def __init__(self, *args, orgs=None, windows=None, items=None, editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        if editing:
            del self.fields["org"]
        else:
            self.fields["org"].queryset = orgs
        self.fields["windows"].queryset = windows
        self.fields["items"].queryset = items


class KioskForm(StyledForm):
    name = forms.CharField(
        label=_("取号机名称（选填）"),
        required=False,
        max_length=50,
        help_text=_("如“一楼入口”，便于在列表中区分各台取号机。"),
    )
