import datetime as dt
import re

from django import forms
from django.utils.translation import gettext_lazy as _

from jiedao.core.forms import StyledForm
from jiedao.workcalendar.choices import YearStatus

WORKDAY_CHOICES = [("1", _("工作日（上班）")), ("0", _("休息日（放假）"))]


class CalendarDayEditForm(StyledForm):
    """Changes the override of a given day (the date is in the URL)."""

    is_workday = forms.TypedChoiceField(
        label=_("当天"), choices=WORKDAY_CHOICES, coerce=lambda value: value == "1", empty_value=None
    )
    reason = forms.CharField(
        label=_("原因"),
        max_length=100,
        help_text=_("如“元旦”“春节”“春节调休上班”。调整日优先于内置法定节假日数据。"),
    )


class CalendarDayForm(CalendarDayEditForm):
    date = forms.DateField(label=_("日期"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))

    field_order = ["date", "is_workday", "reason"]


class CalendarYearForm(StyledForm):
    status = forms.ChoiceField(
        label=_("年度状态"),
        choices=YearStatus.choices,
        help_text=_(
            "“已录入”：已把国务院放假通知中的放假和调休上班日期录入为调整日；"
            "“暂按周末和法定节日计算”：通知尚未发布，暂按周六、周日和元旦、劳动节、国庆节的法定假日计算，期限标明为临时。"
        ),
    )
    note = forms.CharField(
        label=_("说明"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


NOTICE_HOLIDAYS = (
    _("元旦"),
    _("春节"),
    _("清明节"),
    _("劳动节"),
    _("端午节"),
    _("中秋节"),
    _("国庆节"),
)
EXTRA_ROWS = 2
_BRACKETS = re.compile(r"[（(][^）)]*[）)]")
_SEPARATORS = re.compile(r"[,，、;；\s]+")
_DATE = re.compile(r"(?:(\d{4})[-/.年])?(\d{1,2})[-/.月](\d{1,2})日?")


def parse_dates(text: str, year: int) -> list[dt.date]:
    """Dates as a notice writes them: “2月14日（周日）、2月20日（周六）”, “2027-02-14, 2027-02-20”, “2-14”.
    A date without a year is in `year`. Raises `forms.ValidationError` naming what it cannot read."""
    cleaned = _BRACKETS.sub(" ", text or "").replace("上班", " ")
    dates, wrong = [], []
    for token in _SEPARATORS.split(cleaned):
        if not token:
            continue
        match = _DATE.fullmatch(token)
        if match is None:
            wrong.append(token)
            continue
        try:
            dates.append(dt.date(int(match[1] or year), int(match[2]), int(match[3])))
        except ValueError:
            wrong.append(token)
    if wrong:
        raise forms.ValidationError(
            _("无法识别的日期：%(values)s。请写成“2月14日”或“%(year)d-02-14”，多个日期用顿号或逗号分开。")
            % {"values": "、".join(wrong[:3]), "year": year}
        )
    return dates


class CalendarYearEntryForm(StyledForm):
    """A whole State Council notice (国务院办公厅关于某年部分节假日安排的通知) in one form: for each holiday
    its rest days as a range and its make-up workdays (调休上班), as the notice lists them."""

    def __init__(self, *args, year: int, **kwargs):
        self.year = year
        super().__init__(*args, **kwargs)
        self.rows = []
        for i in range(len(NOTICE_HOLIDAYS) + EXTRA_ROWS):
            default = NOTICE_HOLIDAYS[i] if i < len(NOTICE_HOLIDAYS) else ""
            self.fields[f"name_{i}"] = forms.CharField(
                label=_("节日"), max_length=40, required=False, initial=default
            )
            self.fields[f"rest_from_{i}"] = forms.DateField(
                label=_("放假开始"),
                required=False,
                widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            )
            self.fields[f"rest_to_{i}"] = forms.DateField(
                label=_("放假结束"),
                required=False,
                widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            )
            self.fields[f"work_{i}"] = forms.CharField(
                label=_("调休上班日期"),
                max_length=200,
                required=False,
                widget=forms.TextInput(attrs={"placeholder": _("如 2月14日、2月20日")}),
            )
            self.rows.append(i)
        self.fields["replace"] = forms.BooleanField(
            label=_("以本次录入为准，先清除本年度原有的调整日"),
            required=False,
            initial=True,
            help_text=_("不勾选时保留本年度其他调整日（如本地调整），同一天以本次录入为准。"),
        )
        self.fields["note"] = forms.CharField(
            label=_("说明"),
            max_length=500,
            required=False,
            help_text=_("如通知文号：国办发明电〔%(year)d〕×号。") % {"year": year - 1},
        )
        for name, field in self.fields.items():
            if name.split("_")[0] in ("name", "rest", "work", "note"):
                field.widget.attrs["class"] = "form-control"
        self.fields["replace"].widget.attrs["class"] = "form-check-input"
        for i in self.rows:
            self.fields[f"name_{i}"].widget.attrs["aria-label"] = _("节日")
            self.fields[f"rest_from_{i}"].widget.attrs["aria-label"] = _("放假开始")
            self.fields[f"rest_to_{i}"].widget.attrs["aria-label"] = _("放假结束")
            self.fields[f"work_{i}"].widget.attrs["aria-label"] = _("调休上班日期")

    def row_fields(self):
        """[(name, rest_from, rest_to, work)] bound fields per row, for the table."""
        return [
            (self[f"name_{i}"], self[f"rest_from_{i}"], self[f"rest_to_{i}"], self[f"work_{i}"])
            for i in self.rows
        ]

    def clean(self):
        data = super().clean()
        for i in self.rows:
            try:
                data[f"workdays_{i}"] = parse_dates(data.get(f"work_{i}", ""), self.year)
            except forms.ValidationError as error:
                self.add_error(f"work_{i}", error)
        return data

    def entries(self):
        from jiedao.workcalendar.services import HolidayEntry

        data = self.cleaned_data
        return [
            HolidayEntry(
                name=data.get(f"name_{i}", ""),
                first=data.get(f"rest_from_{i}"),
                last=data.get(f"rest_to_{i}"),
                workdays=tuple(data.get(f"workdays_{i}", ())),
            )
            for i in self.rows
        ]

    def error_field(self, key: str) -> str | None:
        """The form field of a service error key (``"<row>.rest"`` …)."""
        index, _dot, part = key.partition(".")
        if index.isdigit() and part:
            name = {"rest": "rest_from", "workdays": "work", "name": "name"}.get(part, part)
            return f"{name}_{index}"
        return key if key in self.fields else None
