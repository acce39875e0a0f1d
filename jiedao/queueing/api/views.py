"""/api/v1/queue/: 窗口叫号 for a window terminal without the pages, by the same service functions as the
window's page (`queueing.views`), with the same Chinese refusals. Lines, windows and tickets are those of the
halls in the caller's scope for 窗口叫号 (another hall's answer 404); calling at a window of the hall the caller
does not work at is 403; a ticket or window changed since the terminal read it is 409."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins
from rest_framework.decorators import action
from rest_framework.response import Response

from jiedao.applications.models import ServiceWindow
from jiedao.catalog.api.serializers import HallErrorSerializer
from jiedao.core.api.viewsets import ScopedGenericViewSet
from jiedao.core.exceptions import OutOfScope
from jiedao.queueing import selectors, services
from jiedao.queueing.api.serializers import (
    CallNextSerializer,
    QueueLineSerializer,
    QueueTicketSerializer,
    QueueWindowSerializer,
    RequeueSerializer,
)
from jiedao.queueing.models import QueueLine, Ticket

TAGS = ["queue"]
CALL = "queueing.call_ticket"


def _error(description) -> OpenApiResponse:
    return OpenApiResponse(HallErrorSerializer, description=description)


FORBIDDEN = _error(_("没有窗口叫号权限，或您不是该窗口的工作人员（code 为 permission_denied）"))
ERRORS = {
    403: FORBIDDEN,
    404: _error(_("窗口或排队号不存在，或不在您的管辖范围内（其他服务大厅的）")),
}
TICKET_ERRORS = {
    400: _error(
        _(
            "该号还没有被叫号（code 为 not_called），或不属于该窗口叫号的业务队列（other_line）、不是今天的号（not_today）"
        )
    ),
    **ERRORS,
    409: _error(
        _("该号的状态已经改变（已办结、已过号、已取消等，code 为 bad_status），本次没有操作，请重新读取")
    ),
}


def _input(request, serializer_class) -> dict:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


@extend_schema_view(
    list=extend_schema(
        summary=_("业务队列及等候人数"),
        description=_("您管辖范围内服务大厅的业务队列（含暂停取号的），及各队列今天等候中的人数。"),
        responses={200: QueueLineSerializer(many=True), 403: FORBIDDEN},
        tags=TAGS,
    )
)
class QueueLineViewSet(mixins.ListModelMixin, ScopedGenericViewSet):
    model = QueueLine
    queryset = QueueLine.objects.none()  # for the schema; get_queryset reads the caller's halls
    serializer_class = QueueLineSerializer
    pagination_class = None  # a hall has a handful of lines
    action_permissions = {"list": CALL}

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .select_related("org")
            .prefetch_related("windows", "items")
            .order_by("org_id", "prefix")
        )

    def list(self, request):
        lines = list(self.get_queryset())
        selectors.waiting_counts(lines, selectors.today())
        return Response(QueueLineSerializer(lines, many=True).data)


@extend_schema_view(
    list=extend_schema(
        summary=_("我的叫号窗口"),
        description=_("您作为窗口人员所在的窗口，及各窗口正在办理的排队号。"),
        responses={200: QueueWindowSerializer(many=True), 403: FORBIDDEN},
        tags=TAGS,
    )
)
class QueueWindowViewSet(mixins.ListModelMixin, ScopedGenericViewSet):
    model = ServiceWindow
    queryset = ServiceWindow.objects.none()
    serializer_class = QueueWindowSerializer
    pagination_class = None
    action_permissions = {"list": CALL, "call_next": CALL}

    def get_queryset(self):
        return (
            super().get_queryset().filter(is_active=True).select_related("org").order_by("org_id", "number")
        )

    def list(self, request):
        day = selectors.today()
        windows = list(self.get_queryset().filter(staff=request.user).prefetch_related("queue_lines"))
        serving = selectors.serving_at(windows, day)
        for window in windows:
            window.current = serving.get(window.pk)
        return Response(QueueWindowSerializer(windows, many=True).data)

    @extend_schema(
        summary=_("叫下一位"),
        description=_(
            "叫本窗口所叫业务队列中今天的下一位（预约优先的先叫，其余按排队先后）；本窗口正在办理的号同时办结。"
            "没有等候的群众时返回 400（code 为 empty），窗口未分配业务队列为 no_lines；"
            "给出的 current 与窗口实际正在办理的不一致时返回 409（window_changed），不叫号。"
        ),
        request=CallNextSerializer,
        responses={
            200: QueueTicketSerializer,
            400: _error(_("没有等候的群众（code 为 empty），或窗口还没有分配业务队列（no_lines）")),
            **ERRORS,
            409: _error(_("窗口刚刚已叫号（code 为 window_changed），本次没有叫号，请重新读取窗口")),
        },
        tags=TAGS,
    )
    @action(detail=True, methods=["post"], url_path="call-next")
    def call_next(self, request, pk=None):
        window = self.get_object()
        data = _input(request, CallNextSerializer)  # `current` left out: called without that check
        ticket = services.ticket_call_next(
            actor=request.user, window=window, seen_current=data.get("current", ...)
        )
        return Response(QueueTicketSerializer(ticket).data)


def _ticket_action(summary, description, request=None):
    return extend_schema(
        summary=summary,
        description=description,
        request=request,
        responses={200: QueueTicketSerializer, **TICKET_ERRORS},
        tags=TAGS,
    )


class QueueTicketViewSet(ScopedGenericViewSet):
    """重呼, 过号, 办结 of a ticket called at a window the caller works at; 重新排队 of a skipped one."""

    model = Ticket
    queryset = Ticket.objects.none()
    serializer_class = QueueTicketSerializer
    action_permissions = {"recall": CALL, "skip": CALL, "finish": CALL, "requeue": CALL}

    def get_queryset(self):
        return super().get_queryset().select_related("line", "called_window")

    @_ticket_action(
        _("重呼"), _("再次叫号：叫号屏重新显示该号。只能重呼在您的窗口叫到、尚未办结或过号的号。")
    )
    @action(detail=True, methods=["post"])
    def recall(self, request, pk=None):
        ticket = services.ticket_recall(actor=request.user, ticket=self.get_object())
        return Response(QueueTicketSerializer(ticket).data)

    @_ticket_action(_("过号"), _("叫到的群众未到：该号记为已过号，群众回来后可重新排队。"))
    @action(detail=True, methods=["post"])
    def skip(self, request, pk=None):
        ticket = services.ticket_skip(actor=request.user, ticket=self.get_object())
        return Response(QueueTicketSerializer(ticket).data)

    @_ticket_action(_("办结"), _("在窗口办理完毕。已办结的号再次办结返回 409（code 为 bad_status）。"))
    @action(detail=True, methods=["post"])
    def finish(self, request, pk=None):
        ticket = services.ticket_finish(actor=request.user, ticket=self.get_object())
        return Response(QueueTicketSerializer(ticket).data)

    @_ticket_action(
        _("重新排队"),
        _("过号的群众回来了：今天的号排到其业务队列的队尾（不再预约优先），由叫该队列的窗口操作。"),
        request=RequeueSerializer,
    )
    @action(detail=True, methods=["post"])
    def requeue(self, request, pk=None):
        ticket = self.get_object()
        window = selectors.window_of(request.user, _input(request, RequeueSerializer)["window"])
        if window is None:
            raise OutOfScope()
        ticket = services.ticket_requeue(actor=request.user, window=window, ticket=ticket)
        return Response(QueueTicketSerializer(ticket).data)
