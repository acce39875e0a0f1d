from __future__ import annotations

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from jiedao.core.forms import StyledForm


class BookForm(StyledForm):
    """The date and the slot a resident picks; the service checks them against the calendar and the places."""

    date = forms.DateField(widget=forms.HiddenInput, error_messages={"required": _("请选择预约日期。")})
    slot = forms.TypedChoiceField(
        label=_("预约时段"),
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("请选择预约时段。"),
            "invalid_choice": _("该时段不开放预约，请选择其他时段。"),
        },
    )

    def __init__(self, *args, slots=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["slot"].choices = [(slot.pk, str(slot)) for slot in slots]


class CheckInForm(StyledForm):
    code = forms.CharField(
        label=_("预约码"),
        max_length=20,
        error_messages={"required": _("请输入群众出示的预约码。")},
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )


def _time(label, initial: dt.time | None):
    return forms.TimeField(
        label=label, required=False, initial=initial, widget=forms.TimeInput(attrs={"type": "time"})
    )


class ScheduleForm(StyledForm):
    """A hall's working day: morning and afternoon (either left empty is closed), cut into equal slots."""

    org = forms.ModelChoiceField(label=_("服务大厅（事项的实施单位）"), queryset=None)
    morning_start = _time(_("上午开始"), dt.time(9, 0))
    morning_end = _time(_("上午结束"), dt.time(12, 0))
    afternoon_start = _time(_("下午开始"), dt.time(13, 30))
    afternoon_end = _time(_("下午结束"), dt.time(17, 0))
    minutes = forms.IntegerField(label=_("每个时段（分钟）"), initial=30, min_value=5, max_value=240)
    capacity = forms.IntegerField(label=_("每个时段可预约人数"), initial=5, min_value=1, max_value=500)

    def __init__(self, *args, orgs=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org"].queryset = orgs

    def _span(self, part: str) -> tuple[dt.time, dt.time] | None:
        start, end = self.cleaned_data.get(f"{part}_start"), self.cleaned_data.get(f"{part}_end")
        if start is None and end is None:
            return None
        if start is None or end is None:
            self.add_error(f"{part}_end", _("请同时填写开始和结束时间，或都不填（该半天不开放）。"))
            return None
        return start, end

    def clean(self):
        cleaned = super().clean()
        self.morning, self.afternoon = self._span("morning"), self._span("afternoon")
        if not self.errors and self.morning is None and self.afternoon is None:
            raise forms.ValidationError(_("上午和下午至少开放一个。"))
        return cleaned


class DayForm(StyledForm):
    """The date of the bookings the window looks at (今日预约 by default)."""

    date = forms.DateField(
        label=_("预约日期"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )


def _reason():
    return forms.CharField(
        label=_("取消原因"),
        max_length=60,
        help_text=_("将以短信告知群众，如：停电临时闭厅、系统故障暂停办理。"),
        error_messages={"required": _("请填写取消预约的原因，将以短信告知群众。")},
    )


class HallCancelForm(StyledForm):
    """The hall cancels one booking: the reason the resident is told."""

    reason = _reason()


class DayCancelForm(StyledForm):
    """停止预约 of one hall on one date, with the reason: the whole day (停电, 临时闭厅), or the slots ticked
    (下午停电, 会议占用大厅). Slots ticked with 全天 still chosen are refused rather than read as a whole day:
    closing the day cancels every booking of it."""

    DAY, SLOTS = "day", "slots"

    org = forms.ModelChoiceField(label=_("服务大厅（事项的实施单位）"), queryset=None)
    date = forms.DateField(
        label=_("预约日期"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"required": _("请选择预约日期。")},
    )
    span = forms.ChoiceField(
        label=_("停止范围"),
        choices=[(DAY, _("全天")), (SLOTS, _("部分时段（在下面勾选）"))],
        widget=forms.RadioSelect,
        required=False,
        initial=DAY,
    )
    slots = forms.TypedMultipleChoiceField(
        label=_("停止预约的时段"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("选择“部分时段”时勾选。只取消这些时段当天的预约，其余时段照常预约。"),
        error_messages={"invalid_choice": _("所选时段不是该服务大厅开放预约的时段，请重新选择。")},
    )
    reason = _reason()

    def __init__(self, *args, orgs=None, slots=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org"].queryset = orgs
        several = len({slot.org_id for slot in slots}) > 1
        self.fields["slots"].choices = [
            (slot.pk, f"{slot.org.name} {slot}" if several else str(slot)) for slot in slots
        ]

    def clean(self):
        cleaned = super().clean()
        cleaned["span"] = cleaned.get("span") or self.DAY
        chosen = cleaned.get("slots")
        if cleaned["span"] == self.SLOTS and not chosen and "slots" not in self.errors:
            self.add_error("slots", _("请选择要停止预约的时段。"))
        if cleaned["span"] == self.DAY and chosen:
            self.add_error(
                "slots", _("选择了“全天”就不用勾选时段；只停止部分时段的，请在停止范围中选择“部分时段”。")
            )
        return cleaned
