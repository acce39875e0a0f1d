"""/api/v1/resident/appointments/: the signed-in resident's bookings, by the same service functions as the
resident pages (`appointments.views`), with the same Chinese errors. Another resident's booking answers 404."""

from __future__ import annotations

from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from jiedao.applications.api.resident_views import ERRORS, TAGS, UNAUTHORIZED, ResidentMixin, _error, _input
from jiedao.appointments import selectors, services
from jiedao.appointments.api.serializers import (
    AppointmentSerializer,
    BookSerializer,
    FreeSlotsSerializer,
    SlotQuerySerializer,
)
from jiedao.appointments.models import Appointment
from jiedao.catalog.models import ServiceItem
from jiedao.core.exceptions import OutOfScope

BOOKING_ERRORS = {
    **ERRORS,
    400: _error(
        gettext_lazy(
            "不能预约：时段已约满（code 为 full）、同一事项已有预约（duplicate）、未办理的预约已达上限"
            "（too_many）、不是工作日（not_workday）或不在可预约的日期内（out_of_range）、时段已开始（begun）、"
            "服务大厅停止该日预约（closed_day）或该时段预约（closed_slot）、与本人其他未办理的预约时间重叠（overlap）、"
            "多次爽约暂停预约（banned）、"
            "未实名认证（not_verified）；字段错误见 errors"
        )
    ),
    404: _error(gettext_lazy("事项或预约不存在，或不是您本人的预约")),
}


def _item(pk: int) -> ServiceItem:
    item = ServiceItem.objects.filter(pk=pk, is_published=True).first()
    if item is None:
        raise OutOfScope()
    return item


@extend_schema_view(
    list=extend_schema(
        summary=gettext_lazy("我的预约"),
        responses={200: AppointmentSerializer(many=True), 401: UNAUTHORIZED},
        tags=TAGS,
    ),
)
class ResidentAppointmentViewSet(ResidentMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = AppointmentSerializer
    queryset = Appointment.objects.none()  # for the schema; get_queryset reads the resident's own

    def get_queryset(self):
        return selectors.resident_appointments(self.resident)

    @extend_schema(
        summary=gettext_lazy("预约窗口办理"),
        description=gettext_lazy(
            "与“我的预约”页面相同：须已实名认证；自下一个工作日起可预约的工作日内、尚有名额的时段；同一事项只能有一个"
            "未办理的预约，各事项未办理的预约合计不超过参数 appointments.max_open_bookings；预约成功后以短信告知预约码。"
        ),
        request=BookSerializer,
        responses={201: AppointmentSerializer, **BOOKING_ERRORS},
        tags=TAGS,
    )
    def create(self, request):
        data = _input(request, BookSerializer)
        appointment = services.appointment_book(
            resident=self.resident, item=_item(data["item"]), day=data["date"], slot_id=data["slot"]
        )
        return Response(AppointmentSerializer(self.get_queryset().get(pk=appointment.pk)).data, status=201)

    @extend_schema(
        summary=gettext_lazy("取消预约"),
        description=gettext_lazy("时段开始前可以取消（已开始的 code 为 begun）。"),
        request=None,
        responses={200: AppointmentSerializer, **BOOKING_ERRORS},
        tags=TAGS,
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        appointment = self.get_object()
        services.appointment_cancel(resident=self.resident, appointment=appointment)
        return Response(AppointmentSerializer(self.get_queryset().get(pk=appointment.pk)).data)

    @extend_schema(
        summary=gettext_lazy("可预约的日期和时段（剩余名额）"),
        parameters=[SlotQuerySerializer],
        responses={
            200: FreeSlotsSerializer,
            400: _error(
                gettext_lazy(
                    "该日期不能预约：不是工作日（code 为 not_workday）或不在可预约的日期内（out_of_range）；"
                    "原因见 errors 的 date"
                )
            ),
            401: UNAUTHORIZED,
            404: BOOKING_ERRORS[404],
        },
        tags=TAGS,
    )
    @action(detail=False, methods=["get"])
    def slots(self, request):
        query = SlotQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        item = _item(query.validated_data["item"])
        dates = selectors.bookable_dates()
        day = query.validated_data.get("date") or dates[0]
        services.bookable_day_check(day)  # a Sunday, a holiday or a date out of range: 400, as a booking says
        places = selectors.slot_places(item, day)
        return Response(FreeSlotsSerializer({"dates": dates, "date": day, "slots": places}).data)
