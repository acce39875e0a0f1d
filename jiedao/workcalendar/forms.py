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
            "“已录入”：已把国务院放假通知中的放假和调休上班日期逐日录入为调整日；"
            "“暂按周末计算”：通知尚未发布，暂时只按周六、周日休息计算，页面会标明为临时。"
        ),
    )
    note = forms.CharField(
        label=_("说明"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
