"""/api/v1/applications/ (staff, scoped) and /api/v1/public/track/ (no login, rate-limited)."""

from __future__ import annotations

from collections.abc import Mapping

from django.db.models import Prefetch
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    OpenApiTypes,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from jiedao.applications import certificates, services, statistics, written_notices
from jiedao.applications.api.serializers import (
    TRACK_INPUT_MAX_LENGTH,
    AcceptSerializer,
    ApplicationMaterialSerializer,
    ApplicationSerializer,
    CertificateSerializer,
    ConcludeSerializer,
    CorrectionSerializer,
    DeliverSerializer,
    ExtendSerializer,
    ExtensionDecisionSerializer,
    ExtensionRequestSerializer,
    ReasonSerializer,
    StatisticsSerializer,
    SubmitSerializer,
    SupplyDeferredSerializer,
    TrackResultSerializer,
    TrackSerializer,
    WrittenNoticeSerializer,
)
from jiedao.applications.choices import ApplicationStatus, NoticeKind
from jiedao.applications.models import Application, ExtensionRequest, ExtensionStatus
from jiedao.applications.selectors import (
    CLOCK_FILTERS,
    DEFERRAL_FILTERS,
    filter_applications,
    with_clock_status,
)
from jiedao.catalog.api.serializers import HallErrorSerializer
from jiedao.catalog.models import Material, ServiceItem
from jiedao.core.api.viewsets import ScopedGenericViewSet
from jiedao.core.exceptions import OutOfScope, ValidationFailed
from jiedao.core.middleware import client_ip
from jiedao.registry.api.base import KeyedPagination

TAGS = ["applications"]


def _iso(value):
    """A datetime as DRF writes every other one in this API (ISO 8601 in the server's time zone)."""
    return None if value is None else timezone.localtime(value).isoformat()


ERRORS = {
    400: OpenApiResponse(
        HallErrorSerializer,
        description=_("输入有误（字段错误见 errors），或办件当前状态不允许该操作（code 为 bad_status）"),
    ),
    404: OpenApiResponse(HallErrorSerializer, description=_("办件不存在或不在您的管辖范围内")),
    409: OpenApiResponse(
        HallErrorSerializer,
        description=_("办件在处理本请求时已被他人改变（code 为 conflict），请重新读取后再操作"),
    ),
}


# 书面凭证 of an application as PDF, for the staff and the resident API alike
NOTICE_PATH = r"notices/(?P<kind>acceptance|refusal|correction|receipt)"
NOTICE_PARAMETERS = [
    OpenApiParameter(
        "kind", OpenApiTypes.STR, OpenApiParameter.PATH, enum=NoticeKind.values, description=_("文书")
    ),
    OpenApiParameter(
        "number",
        OpenApiTypes.INT,
        description=_("第几份（补正告知、窗口收取材料可有多份）；不填为最近一份"),
    ),
]


def notice_pdf_response(application, kind: str, request) -> HttpResponse:
    """The application's written notice of `kind` (the `number`-th, else the latest) as a PDF download."""
    raw = request.query_params.get("number", "").strip()
    if raw and not (raw.isdigit() and int(raw) > 0):
        raise ValidationFailed({"number": [_("请填写正整数。")]})
    notice = written_notices.written_notice_get(application, kind, int(raw) if raw else None)
    return written_notices.pdf_response(notice, inline=False)


def uploads_with_materials(files: list, material_ids: list) -> list:
    """Each file with the catalog material it is (`materials[i]` for `files[i]`); the service checks what
    they may be (the item's materials on registration, outstanding 容缺 materials when supplied)."""
    if len(material_ids) > len(files):
        raise ValidationFailed({"materials": [_("材料编号的个数不能多于文件数。")]})
    found = {m.pk: m for m in Material.objects.filter(pk__in=[pk for pk in material_ids if pk])}
    uploads = []
    for index, file in enumerate(files):
        material_id = material_ids[index] if index < len(material_ids) else None
        if material_id and material_id not in found:
            raise ValidationFailed({"materials": [_("材料编号 %(pk)s 不存在。") % {"pk": material_id}]})
        material = found.get(material_id) if material_id else None
        uploads.append(
            services.Upload(file=file, label=material.name if material else file.name, material=material)
        )
    return uploads


def _act(summary, request=None):
    return extend_schema(
        summary=summary, request=request, responses={200: ApplicationSerializer, **ERRORS}, tags=TAGS
    )


@extend_schema_view(
    list=extend_schema(
        summary=_("办件列表"),
        parameters=[
            OpenApiParameter(
                "status", OpenApiTypes.STR, enum=ApplicationStatus.values, description=_("按状态筛选")
            ),
            OpenApiParameter(
                "clock",
                OpenApiTypes.STR,
                enum=[str(value) for value in CLOCK_FILTERS],
                description=_("按办理时限状态筛选：green 正常、yellow 预警、red 超期、paused 暂停计时"),
            ),
            OpenApiParameter(
                "extension", OpenApiTypes.STR, enum=["pending"], description=_("pending：有待审批的延期申请")
            ),
            OpenApiParameter(
                "deferral",
                OpenApiTypes.STR,
                enum=list(DEFERRAL_FILTERS),
                description=_("容缺材料：outstanding 尚待补交，overdue 容缺逾期（超过补交期限仍未补交）"),
            ),
            OpenApiParameter(
                "org", OpenApiTypes.INT, description=_("组织节点编号（须在您的管辖范围内），含其全部下级")
            ),
            OpenApiParameter("item", OpenApiTypes.INT, description=_("事项编号")),
            OpenApiParameter(
                "q", OpenApiTypes.STR, description=_("查询码、申请人姓名（完整）、事项名称或企业名称")
            ),
            OpenApiParameter("search", OpenApiTypes.STR, description=_("同 q")),
        ],
        tags=TAGS,
    ),
    retrieve=extend_schema(summary=_("办件详情"), tags=TAGS),
)
class ApplicationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedGenericViewSet):
    """Applications within the caller's data scope; each transition is one service call."""

    model = Application
    queryset = Application.objects.all()
    serializer_class = ApplicationSerializer
    parser_classes = [JSONParser, FormParser, MultiPartParser]
    action_permissions = {
        "materials": "view",
        "submit": "add",
        "accept": "applications.accept_application",
        "correct": "applications.accept_application",
        "reject": "applications.accept_application",
        "suspend": "applications.accept_application",
        "supply_deferred": "applications.accept_application",
        "resume": "applications.accept_application",
        "extend": "applications.extend_application",
        "approve_extension": "applications.approve_extension",
        "refuse_extension": "applications.approve_extension",
        "extensions": "view",
        "conclude": "applications.conclude_application",
        "notices": "view",
        "notice_pdf": "view",
        "certificates": "view",
        "certificate_pdf": "view",
        "statistics": "view",
    }

    # `?offset=150000` of a district's applications reads that page's keys, then its rows with the extras
    # below, instead of an OFFSET over every earlier row with its clock lookups (registry.paging).
    pagination_class = KeyedPagination

    def with_extras(self, queryset):
        """What a read shows besides the application's own columns: the clock, pending extensions,
        materials. For a list, only the page's rows get them (KeyedPagination)."""
        pending = ExtensionRequest.objects.filter(status=ExtensionStatus.PENDING).select_related(
            "requested_by", "decided_by"
        )
        return with_clock_status(queryset.select_related("item", "org")).prefetch_related(
            Prefetch("extension_requests", queryset=pending, to_attr="pending_extensions"),
            "item__materials",
            "materials",
            "deferred_materials",
        )

    def get_queryset(self):
        if self.action != "list" and self.required_permission() == "applications.view_application":
            # Reading one application (and its files): its scope or a part in its process, as on its page.
            queryset = Application.objects.readable_by(self.request.user).order_by("-id")
        else:
            queryset = super().get_queryset().order_by("-id")
        if self.action == "list":
            queryset, errors = filter_applications(
                queryset, self.request.query_params, user=self.request.user
            )
            if errors:
                # An unknown value used to list every application as if it had filtered them.
                raise ValidationFailed(errors)
            return queryset
        return self.with_extras(queryset)

    def _input(self, serializer_class):
        serializer = serializer_class(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def _done(self, application, status=200):
        fresh = self.get_queryset().filter(pk=application.pk).first() or application
        return Response(ApplicationSerializer(fresh).data, status=status)

    # A plain list, not a page: `pagination_class=None` so the schema says so (it documented {count, results}).
    @extend_schema(summary=_("办件材料"), responses=ApplicationMaterialSerializer(many=True), tags=TAGS)
    @action(detail=True, methods=["get"], pagination_class=None)
    def materials(self, request, pk=None):
        application = self.get_object()
        return Response(ApplicationMaterialSerializer(application.materials.all(), many=True).data)

    @extend_schema(
        summary=_("窗口登记办件（multipart，含材料文件）"),
        request={"multipart/form-data": SubmitSerializer},
        responses={201: ApplicationSerializer, **ERRORS},
        tags=TAGS,
    )
    @action(detail=False, methods=["post"])
    def submit(self, request):
        data = self._input(SubmitSerializer)
        item = ServiceItem.objects.filter(pk=data["item"]).first()
        if item is None:
            raise OutOfScope()
        application = services.application_register_walk_in(
            actor=request.user,
            item=item,
            applicant_name=data["applicant_name"],
            applicant_id_number=data["applicant_id_number"],
            applicant_phone=data["applicant_phone"],
            enterprise_name=data["enterprise_name"],
            enterprise_uscc=data["enterprise_uscc"],
            delivery_method=data["delivery_method"],
            delivery_address=data["delivery_address"],
            uploads=uploads_with_materials(data["files"], data["materials"]),
        )
        return self._done(application, status=201)

    @_act(_("受理（含容缺受理）"), AcceptSerializer)
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        data = self._input(AcceptSerializer)
        application = self.get_object()
        deferral = None
        if data["deferred_materials"] or data["commitment_signed"] or data["defer_until"]:
            deferral = services.Deferral(
                materials=data["deferred_materials"],
                committed=data["commitment_signed"],
                until=data["defer_until"],
            )
        return self._done(
            services.application_accept(
                actor=request.user,
                application=application,
                expected_status=application.status,
                deferral=deferral,
            )
        )

    @extend_schema(
        summary=_("窗口收取容缺材料（multipart，含材料文件）"),
        description=_(
            "容缺受理的办件在办理中（已受理或中止）时，收取申请人补交的容缺材料，与办件页面的“窗口收取容缺材料”"
            "相同：文件按内容识别类型并受大小限制；每个文件须注明是哪一项待补交的容缺材料，已补交或不是容缺材料的"
            "予以拒绝（errors 中注明字段）；收取后出具材料接收凭证。容缺材料全部补齐后才能作出准予的决定。"
        ),
        request={"multipart/form-data": SupplyDeferredSerializer},
        responses={200: ApplicationSerializer, **ERRORS},
        tags=TAGS,
    )
    @action(detail=True, methods=["post"], url_path="supply-deferred")
    def supply_deferred(self, request, pk=None):
        data = self._input(SupplyDeferredSerializer)
        application = self.get_object()
        return self._done(
            services.application_supply_deferred(
                actor=request.user,
                application=application,
                uploads=uploads_with_materials(data["files"], data["materials"]),
            )
        )

    @_act(_("一次性告知补正"), CorrectionSerializer)
    @action(detail=True, methods=["post"])
    def correct(self, request, pk=None):
        data = self._input(CorrectionSerializer)
        application = self.get_object()
        return self._done(
            services.application_request_correction(
                actor=request.user,
                application=application,
                items=data["items"],
                expected_status=application.status,
            )
        )

    @_act(_("不予受理"), ReasonSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        data = self._input(ReasonSerializer)
        application = self.get_object()
        return self._done(
            services.application_reject(
                actor=request.user,
                application=application,
                reason=data["reason"],
                expected_status=application.status,
            )
        )

    @_act(_("登记申请人撤回申请（书面申请，须填写原因）"), ReasonSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        data = self._input(ReasonSerializer)
        application = self.get_object()
        return self._done(
            services.application_withdraw(
                actor=request.user,
                application=application,
                reason=data["reason"],
                expected_status=application.status,
            )
        )

    @_act(_("中止办理"), ReasonSerializer)
    @action(detail=True, methods=["post"])
    def suspend(self, request, pk=None):
        data = self._input(ReasonSerializer)
        return self._done(
            services.application_suspend(
                actor=request.user, application=self.get_object(), reason=data["reason"]
            )
        )

    @_act(_("恢复办理"), request=None)
    @action(detail=True, methods=["post"])
    def resume(self, request, pk=None):
        return self._done(services.application_resume(actor=request.user, application=self.get_object()))

    @_act(_("申请延长办理时限（待领导审批，批准后办理期限才延后）"), ExtendSerializer)
    @action(detail=True, methods=["post"])
    def extend(self, request, pk=None):
        data = self._input(ExtendSerializer)
        application = self.get_object()
        services.application_extension_request(
            actor=request.user, application=application, days=data["days"], reason=data["reason"]
        )
        return self._done(application)

    @_act(_("批准延长办理时限（办理期限随之延后）"), ExtensionDecisionSerializer)
    @action(detail=True, methods=["post"], url_path="approve-extension")
    def approve_extension(self, request, pk=None):
        data = self._input(ExtensionDecisionSerializer)
        application = self.get_object()
        services.application_extension_decide(
            actor=request.user, application=application, approve=True, note=data["note"]
        )
        return self._done(application)

    @_act(_("不予批准延长办理时限（须填写理由）"), ExtensionDecisionSerializer)
    @action(detail=True, methods=["post"], url_path="refuse-extension")
    def refuse_extension(self, request, pk=None):
        data = self._input(ExtensionDecisionSerializer)
        application = self.get_object()
        services.application_extension_decide(
            actor=request.user, application=application, approve=False, note=data["note"]
        )
        return self._done(application)

    @extend_schema(summary=_("延期申请记录"), responses=ExtensionRequestSerializer(many=True), tags=TAGS)
    @action(detail=True, methods=["get"], pagination_class=None)
    def extensions(self, request, pk=None):
        application = self.get_object()
        rows = application.extension_requests.select_related("requested_by", "decided_by")
        return Response(ExtensionRequestSerializer(rows, many=True).data)

    @_act(_("办结"), ConcludeSerializer)
    @action(detail=True, methods=["post"])
    def conclude(self, request, pk=None):
        data = self._input(ConcludeSerializer)
        return self._done(
            services.application_conclude(
                actor=request.user, application=self.get_object(), outcome=data["outcome"], text=data["text"]
            )
        )

    @_act(_("登记送达办理结果"), DeliverSerializer)
    @action(detail=True, methods=["post"])
    def deliver(self, request, pk=None):
        data = self._input(DeliverSerializer)
        return self._done(
            services.application_deliver(actor=request.user, application=self.get_object(), note=data["note"])
        )

    @extend_schema(
        summary=_("办件的书面凭证"),
        description=_(
            "可打印的受理通知书、不予受理通知书、补正材料通知书（一次性告知书）和材料接收凭证，按出具先后排列；"
            "每份的 PDF 见 pdf。"
        ),
        responses={200: WrittenNoticeSerializer(many=True), 404: ERRORS[404]},
        tags=TAGS,
    )
    @action(detail=True, methods=["get"], pagination_class=None)
    def notices(self, request, pk=None):
        application = self.get_object()
        rows = written_notices.printable(application)
        return Response(
            WrittenNoticeSerializer(rows, many=True, context={"application_id": application.pk}).data
        )

    @extend_schema(
        summary=_("打印书面凭证（PDF）"),
        description=_(
            "A4 PDF，以办件所属单位名义出具，注明日期并留盖章处；内容在出具时固定，重新打印内容不变。"
            "受理后才有受理通知书，作出不予受理决定后才有不予受理通知书，告知补正后才有补正材料通知书，"
            "窗口收取材料后才有材料接收凭证；没有的，返回 400（code 为 bad_status）并说明原因。"
        ),
        parameters=NOTICE_PARAMETERS,
        responses={(200, "application/pdf"): OpenApiTypes.BINARY, **ERRORS},
        tags=TAGS,
    )
    @action(detail=True, methods=["get"], url_path=NOTICE_PATH)
    def notice_pdf(self, request, pk=None, kind=None):
        return notice_pdf_response(self.get_object(), kind, request)

    @extend_schema(
        summary=_("办件开具的证明"),
        description=_(
            "该办件开具过的证明（如居住证明），按开具先后排列，含已作废的（revoked_at 不为空）；"
            "每份的 PDF 见 pdf，公开查验页面见 verify_url。"
        ),
        responses={200: CertificateSerializer(many=True), 404: ERRORS[404]},
        tags=TAGS,
    )
    @action(detail=True, methods=["get"], pagination_class=None)
    def certificates(self, request, pk=None):
        application = self.get_object()
        rows = application.certificates.select_related("created_by", "revoked_by")
        return Response(CertificateSerializer(rows, many=True).data)

    @extend_schema(
        summary=_("下载证明（PDF）"),
        description=_(
            "与窗口打印的证明相同的 A4 PDF：内容在开具时固定，重新下载内容不变。"
            "已作废的证明仍按原样提供（供存档），是否作废以 certificates 中的 revoked_at 为准。"
        ),
        parameters=[
            OpenApiParameter(
                "certificate_id", OpenApiTypes.INT, OpenApiParameter.PATH, description=_("证明编号（id）")
            ),
        ],
        responses={
            (200, "application/pdf"): OpenApiTypes.BINARY,
            404: OpenApiResponse(
                HallErrorSerializer, description=_("办件或证明不存在，或办件不在您的管辖范围内")
            ),
        },
        tags=TAGS,
    )
    @action(detail=True, methods=["get"], url_path=r"certificates/(?P<certificate_id>[0-9]+)")
    def certificate_pdf(self, request, pk=None, certificate_id=None):
        certificate = certificates.certificate_get(self.get_object(), int(certificate_id))
        return certificates.pdf_response(certificate, inline=False)

    @extend_schema(
        summary=_("办件统计"),
        description=_(
            "与“办件统计”页面相同的数字：您管辖范围内的办件在统计区间内的收件量、受理量、不予受理、补正次数、"
            "办结量（按期、超期及按期办结率）、即办件占比、平均办理用时（工作日）、当前在办（正常、预警、超期）"
            "和满意度，按 group 分组，附合计。统计区间不超过 366 天，缺省为本月。"
        ),
        parameters=[
            OpenApiParameter("start", OpenApiTypes.DATE, description=_("开始日期（含），缺省为本月第一天")),
            OpenApiParameter("end", OpenApiTypes.DATE, description=_("结束日期（含），缺省为本月最后一天")),
            OpenApiParameter(
                "group",
                OpenApiTypes.STR,
                enum=list(statistics.GROUPS),
                description=_(
                    "分组：item 事项（缺省）、org 办理机构、window 窗口（窗口登记的计入登记人所在窗口，"
                    "网上申请的单列一行，不计入受理窗口）、month 月份"
                ),
            ),
        ],
        responses={
            200: StatisticsSerializer,
            400: OpenApiResponse(
                HallErrorSerializer,
                description=_(
                    "日期无效、开始日期晚于结束日期、区间超过 366 天或分组无效（字段错误见 errors）"
                ),
            ),
        },
        tags=TAGS,
    )
    @action(detail=False, methods=["get"], pagination_class=None, filter_backends=[])
    def statistics(self, request):
        # The scope alone, as the page and the list count (not `readable_by`: taking part in one
        # application's process opens it to be read, never to be counted in an office's figures).
        group, _period = statistics.parse_request(request.query_params)
        figures = statistics.statistics_for(request.user, request.query_params)
        rows = [
            {**row, "key": None if row["key"] is None else str(row["key"])} for row in figures.tables[group]
        ]
        data = {
            "start": figures.period.start,
            "end": figures.period.end,
            "group": group,
            "rows": rows,
            "total": {**figures.total, "key": None, "name": _("合计")},
        }
        return Response(StatisticsSerializer(data).data)


class PublicTrackView(APIView):
    """Tracking without login: tracking code + the applicant's phone; same rate limit as the page."""

    scope_exempt = "public tracking: code and phone must both match; nothing else is shown"
    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        summary=_("凭查询码和手机号码查询办件（无需登录）"),
        request=TrackSerializer,
        responses={
            200: TrackResultSerializer,
            400: OpenApiResponse(HallErrorSerializer, description=_("查询码或手机号码不正确，或未填写")),
            429: OpenApiResponse(
                HallErrorSerializer, description=_("同一地址查询过于频繁（code 为 rate_limited），请稍后再试")
            ),
        },
        tags=["applications-public"],
    )
    def post(self, request):
        # Read and written by hand rather than through TrackSerializer and TrackResultSerializer (which
        # document them): their per-request field copies cost as much as the look-up itself, and this
        # anonymous endpoint is the one that must keep pace with a bare view under load (issue #5).
        data = request.data if isinstance(request.data, Mapping) else {}
        values = {name: str(data.get(name) or "").strip() for name in ("code", "phone")}
        errors = {name: [_("请填写此项。")] for name, value in values.items() if not value}
        errors.update(
            {
                name: [_("不能超过 %(count)d 个字符。") % {"count": TRACK_INPUT_MAX_LENGTH}]
                for name, value in values.items()
                if len(value) > TRACK_INPUT_MAX_LENGTH
            }
        )
        if errors:
            raise ValidationFailed(errors)
        result = services.application_track(code=values["code"], phone=values["phone"], ip=client_ip(request))
        return Response(
            {
                "tracking_code": result.tracking_code,
                "item_name": result.item_name,
                "status": result.status,
                "status_display": str(result.status_display),
                "due_at": _iso(result.due_at),
                "instant": result.instant,
                "due_provisional": result.due_provisional,
                "history": [
                    {
                        "action": str(h["action"]),
                        "at": _iso(h["at"]),
                        "status": str(h["status"]),
                        "note": h["note"],
                    }
                    for h in result.history
                ],
            }
        )
