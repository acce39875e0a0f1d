from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from jiedao.workcalendar.choices import CountingRule, DaySource


class WorkingDaysResultSerializer(serializers.Serializer):
    start = serializers.DateField(label=_("起算日"))
    add = serializers.IntegerField(label=_("天数"))
    result = serializers.DateField(label=_("期限届满日"))
    rule = serializers.ChoiceField(label=_("计算规则"), choices=CountingRule.choices)
    provisional = serializers.BooleanField(
        label=_("临时"),
        help_text=_(
            "为 true 时期限涉及尚未录入国务院放假安排的年度，暂按周末和固定日期的法定节日计算，录入后可能变化。"
        ),
    )


class DaySerializer(serializers.Serializer):
    date = serializers.DateField(label=_("日期"))
    workday = serializers.BooleanField(label=_("是否工作日"), source="is_workday")
    reason = serializers.CharField(label=_("原因"), allow_blank=True)
    source = serializers.ChoiceField(label=_("来源"), choices=DaySource.choices)
