"""Calendar reference data for any signed-in user: deadlines and the working status of days."""

from __future__ import annotations

import datetime as dt
import re

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from jiedao.core.exceptions import ValidationFailed
from jiedao.workcalendar import services
from jiedao.workcalendar.api.serializers import DaySerializer, WorkingDaysResultSerializer
from jiedao.workcalendar.choices import CountingRule

SCOPE_EXEMPT = "public calendar reference data"
MAX_ADD = 3660
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
ERROR_RESPONSE = OpenApiResponse(
    description=gettext_lazy(
        "参数错误，或涉及 2004 年以前没有节假日数据的年度（code 为 calendar_not_covered）。"
    ),
    response={
        "type": "object",
        "properties": {
            "code": {"type": "string"},
            "detail": {"type": "string"},
            "errors": {
                "type": "object",
                "additionalProperties": {"type": "array", "items": {"type": "string"}},
            },
        },
    },
)


def _date_param(request, name: str) -> dt.date:
    raw = request.query_params.get(name, "").strip()
    if not raw:
        raise ValidationFailed(
            {name: [_("请提供参数 %(name)s（日期，格式为 YYYY-MM-DD）。") % {"name": name}]}
        )
    try:
        if not ISO_DATE.fullmatch(raw):
            raise ValueError(raw)
        return dt.date.fromisoformat(raw)
    except ValueError:
        message = _("“%(value)s”不是有效日期，格式应为 YYYY-MM-DD。") % {"value": raw[:20]}
        raise ValidationFailed({name: [message]}) from None


class WorkingDaysView(APIView):
    scope_exempt = SCOPE_EXEMPT

    @extend_schema(
        operation_id="calendar_working_days",
        summary=gettext_lazy("计算期限届满日"),
        description=gettext_lazy(
            "返回起算日后第 N 个工作日（“N个工作日内”，从次日起算；N=0 返回起算日本身）。"
            "rule 为 calendar_days 时按自然日计算，为 calendar_days_rolling 时末日遇节假日顺延至下一个工作日。"
            "provisional 为 true 时结果涉及尚未录入国务院放假安排的年度，为临时计算。"
        ),
        parameters=[
            OpenApiParameter(
                "start", OpenApiTypes.DATE, required=True, description=gettext_lazy("起算日，YYYY-MM-DD")
            ),
            OpenApiParameter(
                "add", OpenApiTypes.INT, required=True, description=gettext_lazy("天数 N，0 至 3660")
            ),
            OpenApiParameter(
                "rule",
                OpenApiTypes.STR,
                enum=[
                    CountingRule.WORKING_DAYS,
                    CountingRule.CALENDAR_DAYS,
                    CountingRule.CALENDAR_DAYS_ROLLING,
                ],
                description=gettext_lazy("计算规则，默认 working_days"),
            ),
        ],
        responses={200: WorkingDaysResultSerializer, 400: ERROR_RESPONSE},
        examples=[
            OpenApiExample(
                gettext_lazy("国庆节前起算"),
                value={
                    "start": "2026-09-30",
                    "add": 5,
                    "result": "2026-10-13",
                    "rule": "working_days",
                    "provisional": False,
                },
                response_only=True,
            )
        ],
        tags=["calendar"],
    )
    def get(self, request):
        start = _date_param(request, "start")
        raw = request.query_params.get("add", "").strip()
        if not raw:
            raise ValidationFailed({"add": [_("请提供参数 add（天数）。")]})
        if not raw.isdigit() or int(raw) > MAX_ADD:
            raise ValidationFailed({"add": [_("add 应为 0 至 %(max)d 之间的整数。") % {"max": MAX_ADD}]})
        add = int(raw)
        rule = request.query_params.get("rule", CountingRule.WORKING_DAYS).strip()
        if rule == CountingRule.WORKING_DAYS:
            result = services.add_working_days(start, add)
        elif rule == CountingRule.CALENDAR_DAYS_ROLLING:
            result = services.add_calendar_days_rolling(start, add)
        elif rule == CountingRule.CALENDAR_DAYS:
            try:
                result = start + dt.timedelta(days=add)
            except OverflowError:
                raise ValidationFailed({"add": [_("日期超出可计算的范围。")]}) from None
        else:
            raise ValidationFailed(
                {"rule": [_("rule 应为 working_days、calendar_days 或 calendar_days_rolling。")]}
            )
        provisional = rule != CountingRule.CALENDAR_DAYS and bool(services.provisional_years(start, result))
        data = {"start": start, "add": add, "result": result, "rule": str(rule), "provisional": provisional}
        return Response(WorkingDaysResultSerializer(data).data)


class DaysView(APIView):
    scope_exempt = SCOPE_EXEMPT

    @extend_schema(
        operation_id="calendar_days",
        summary=gettext_lazy("查询日期是否工作日"),
        description=gettext_lazy("返回 from 至 to（含）每一天是否工作日、原因及来源，一次最多 366 天。"),
        parameters=[
            OpenApiParameter(
                "from", OpenApiTypes.DATE, required=True, description=gettext_lazy("开始日期，YYYY-MM-DD")
            ),
            OpenApiParameter(
                "to", OpenApiTypes.DATE, required=True, description=gettext_lazy("结束日期（含），YYYY-MM-DD")
            ),
        ],
        responses={200: DaySerializer(many=True), 400: ERROR_RESPONSE},
        tags=["calendar"],
    )
    def get(self, request):
        first, last = _date_param(request, "from"), _date_param(request, "to")
        return Response(DaySerializer(services.days(first, last), many=True).data)
