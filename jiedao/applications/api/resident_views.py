"""/api/v1/resident/: the resident API a 政务 mini-program or mobile app calls for its signed-in resident.

The same service functions as the resident pages (`views.Resident*View`), the same checks (the page's
forms where the rule lives in a form) and the same Chinese errors; only the resident's own applications,
another's answering 404. Residents sign in by SMS code and get a token (`resident_auth`).
"""

from __future__ import annotations

from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    OpenApiTypes,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from jiedao.applications import certificates, forms, outcome, services
from jiedao.applications.api.resident_auth import IsResident, ResidentTokenAuthentication
from jiedao.applications.api.resident_serializers import (
    ResidentApplicationDetailSerializer,
    ResidentApplicationSerializer,
    ResidentApplySerializer,
    ResidentCodeSentSerializer,
    ResidentIdentitySerializer,
    ResidentPhoneSerializer,
    ResidentProfileSerializer,
    ResidentRateSerializer,
    ResidentResubmitSerializer,
    ResidentTokenRequestSerializer,
    ResidentTokenSerializer,
    ResidentWithdrawSerializer,
)
from jiedao.applications.api.serializers import SupplyDeferredSerializer
from jiedao.applications.api.views import (
    NOTICE_PARAMETERS,
    NOTICE_PATH,
    notice_pdf_response,
    uploads_with_materials,
)
from jiedao.applications.models import Application
from jiedao.applications.selectors import with_clock_status
from jiedao.catalog.api.serializers import HallErrorSerializer
from jiedao.catalog.models import ServiceItem
from jiedao.core import crypto
from jiedao.core.exceptions import OutOfScope, ValidationFailed
from jiedao.core.middleware import client_ip
from jiedao.registry.validators import parse_phone

TAGS = ["resident"]
SCOPE_EXEMPT = "resident API: a resident token reaches only its own account's applications"


def _error(description) -> OpenApiResponse:
    return OpenApiResponse(HallErrorSerializer, description=description)


UNAUTHORIZED = _error(
    gettext_lazy("未登录、令牌无效、已过期或已退出登录（code 为 not_authenticated 或 invalid_token）")
)
ERRORS = {
    400: _error(
        gettext_lazy("输入有误（字段错误见 errors），或办件当前状态不允许该操作（code 为 bad_status 等）")
    ),
    401: UNAUTHORIZED,
    404: _error(gettext_lazy("办件不存在，或不是您本人的办件")),
    409: _error(gettext_lazy("办件在处理本请求时已被改变（code 为 conflict），请重新读取后再操作")),
}


def _input(request, serializer_class) -> dict:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class ResidentMixin:
    scope_exempt = SCOPE_EXEMPT
    authentication_classes = [ResidentTokenAuthentication]
    permission_classes = [IsResident]

    @property
    def resident(self):
        return self.request.auth.resident


# --- signing in ----------------------------------------------------------------------------------------------


class ResidentCodeView(APIView):
    """Step 1 of signing in: an SMS code to the number, under the sign-in page's rules (one per number per
    60 s, at most 10 per hour per address); signing in for the first time signs up."""

    scope_exempt = "resident sign-in, no data"
    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        summary=gettext_lazy("获取登录短信验证码"),
        request=ResidentPhoneSerializer,
        responses={
            200: ResidentCodeSentSerializer,
            400: _error(gettext_lazy("手机号码有误，或是固定电话")),
            429: _error(gettext_lazy("获取过于频繁（code 为 rate_limited），请稍后再试")),
        },
        tags=TAGS,
    )
    def post(self, request):
        phone = _input(request, ResidentPhoneSerializer)["phone"]
        services.resident_send_code(phone=phone, ip=client_ip(request))
        masked = crypto.mask_phone(parse_phone(phone).national)  # checked by the service just now
        return Response(
            {
                "detail": _("验证码已发送至 %(phone_masked)s，5 分钟内有效。") % {"phone_masked": masked},
                "phone_masked": masked,
            }
        )


class ResidentTokenView(APIView):
    """Step 2: the number and the SMS code for a resident token (a wrong code counts against the code, as
    on the page: five wrong tries and it is spent)."""

    scope_exempt = "resident sign-in, no data"
    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        summary=gettext_lazy("以手机号码和短信验证码换取群众接口令牌"),
        request=ResidentTokenRequestSerializer,
        responses={
            200: ResidentTokenSerializer,
            400: _error(gettext_lazy("验证码错误或已失效（code 为 bad_code），或手机号码有误")),
        },
        tags=TAGS,
    )
    def post(self, request):
        data = _input(request, ResidentTokenRequestSerializer)
        signed = services.resident_api_login(phone=data["phone"], code=data["code"])
        signed.resident.refresh_from_db()
        return Response(
            ResidentTokenSerializer(
                {
                    "token": signed.token,
                    "expires_at": signed.token_record.expires_at,
                    "resident": signed.resident,
                }
            ).data
        )


class ResidentLogoutView(ResidentMixin, APIView):
    @extend_schema(
        summary=gettext_lazy("退出登录（本令牌立即失效）"),
        request=None,
        responses={204: None, 401: UNAUTHORIZED},
        tags=TAGS,
    )
    def post(self, request):
        services.resident_token_revoke(record=request.auth)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- the account ---------------------------------------------------------------------------------------------


class ResidentProfileView(ResidentMixin, APIView):
    @extend_schema(
        summary=gettext_lazy("我的账号（号码部分隐藏）"),
        responses={200: ResidentProfileSerializer, 401: UNAUTHORIZED},
        tags=TAGS,
    )
    def get(self, request):
        return Response(ResidentProfileSerializer(self.resident).data)


class ResidentIdentityView(ResidentMixin, APIView):
    @extend_schema(
        summary=gettext_lazy("实名认证（姓名和身份证件号码；实名认证后才能网上申请）"),
        request=ResidentIdentitySerializer,
        responses={200: ResidentProfileSerializer, 400: ERRORS[400], 401: UNAUTHORIZED},
        tags=TAGS,
    )
    def post(self, request):
        data = _input(request, ResidentIdentitySerializer)
        resident = services.resident_verify_identity(
            resident=self.resident, real_name=data["real_name"], id_number=data["id_number"]
        )
        return Response(ResidentProfileSerializer(resident).data)


# --- applications --------------------------------------------------------------------------------------------


def _form_errors(form) -> dict[str, list[str]]:
    """A page form's errors under the API's field names: a material's file input is `files` here."""
    errors: dict[str, list[str]] = {}
    for name, messages in form.errors.items():
        key = "files" if name.startswith("material_") or name == "other" else name
        errors.setdefault(key, []).extend(str(m) for m in messages)
    return errors


def _item_uploads(item, files: list, material_ids: list) -> list[services.Upload]:
    """Each file with the item's material it is said to be (`materials[i]` for `files[i]`, 0: another)."""
    uploads = uploads_with_materials(files, material_ids)
    services.check_materials_belong_to(item, uploads)
    for upload in uploads:
        upload.field = "files"
    return uploads


def _apply_form(item, data: dict) -> forms.ApplyForm:
    """The resident page's form, checked on the API's input: it holds the rule that every material the
    guide marks 必须 comes with an online application."""
    uploads = _item_uploads(item, data["files"], data["materials"])
    files = MultiValueDict()
    for upload in uploads:
        files.appendlist(f"material_{upload.material.pk}" if upload.material else "other", upload.file)
    fields = ("enterprise_name", "enterprise_uscc", "delivery_method", "delivery_address")
    form = forms.ApplyForm({name: data[name] for name in fields}, files, item=item)
    if not form.is_valid():
        raise ValidationFailed(_form_errors(form))
    return form


def _action(summary, request_serializer, *, description="", multipart=False):
    return extend_schema(
        summary=summary,
        description=description,
        request={"multipart/form-data": request_serializer} if multipart else request_serializer,
        responses={200: ResidentApplicationDetailSerializer, **ERRORS},
        tags=TAGS,
    )


@extend_schema_view(
    list=extend_schema(
        summary=gettext_lazy("我的办件"), responses={200: ResidentApplicationSerializer(many=True)}, tags=TAGS
    ),
    retrieve=extend_schema(
        summary=gettext_lazy("我的办件详情（状态、时限、办理过程、材料）"),
        responses={200: ResidentApplicationDetailSerializer, 401: UNAUTHORIZED, 404: ERRORS[404]},
        tags=TAGS,
    ),
)
class ResidentApplicationViewSet(
    ResidentMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """The signed-in resident's applications; every action one service call, as on the resident pages."""

    parser_classes = [JSONParser, FormParser, MultiPartParser]
    serializer_class = ResidentApplicationSerializer
    queryset = Application.objects.none()  # for the schema; get_queryset reads the resident's own

    def get_queryset(self):
        queryset = with_clock_status(
            Application.objects.filter(resident=self.resident).select_related("item")
        ).order_by("-id")
        if self.action != "list":
            queryset = queryset.select_related("rating").prefetch_related(
                "materials", "deferred_materials", "written_notices", "certificates"
            )
        return queryset

    def get_serializer_class(self):
        return ResidentApplicationSerializer if self.action == "list" else ResidentApplicationDetailSerializer

    def _done(self, application, status=200):
        fresh = self.get_queryset().get(pk=application.pk)
        return Response(ResidentApplicationDetailSerializer(fresh).data, status=status)

    @extend_schema(
        summary=gettext_lazy("网上申请（multipart，含材料文件）"),
        description=gettext_lazy(
            "与“网上办事大厅”的在线申请相同：须已实名认证；仅限窗口办理的事项不能网上申请（code 为 "
            "offline_only）；事项标明“必须”的材料都要提交；文件按内容识别类型并受大小限制，任何一个文件不合格"
            "整件不予提交（errors 中注明）；同一事项正在办理中的不能重复申请（code 为 duplicate）。"
        ),
        request={"multipart/form-data": ResidentApplySerializer},
        responses={201: ResidentApplicationDetailSerializer, **ERRORS},
        tags=TAGS,
    )
    def create(self, request):
        data = _input(request, ResidentApplySerializer)
        item = ServiceItem.objects.filter(pk=data["item"], is_published=True).first()
        if item is None:
            raise OutOfScope()
        # Said before anything about the files: an item handled only at a window, an account not verified.
        services.application_submit_precheck(resident=self.resident, item=item)
        form = _apply_form(item, data)
        uploads = form.uploads()
        for upload in uploads:
            upload.field = "files"
        application = services.application_submit(
            resident=self.resident,
            item=item,
            uploads=uploads,
            enterprise_name=form.cleaned_data.get("enterprise_name", ""),
            enterprise_uscc=form.cleaned_data.get("enterprise_uscc", ""),
            delivery_method=form.cleaned_data.get("delivery_method", ""),
            delivery_address=form.cleaned_data.get("delivery_address", ""),
        )
        return self._done(application, status=201)

    @_action(
        gettext_lazy("提交补正材料（multipart）"),
        ResidentResubmitSerializer,
        description=gettext_lazy("办件待补正时，按一次性告知的事项提交补正材料；文件检查同网上申请。"),
        multipart=True,
    )
    @action(detail=True, methods=["post"])
    def resubmit(self, request, pk=None):
        data = _input(request, ResidentResubmitSerializer)
        application = self.get_object()
        uploads = _item_uploads(application.item, data["files"], data["materials"])
        return self._done(
            services.application_resubmit(resident=self.resident, application=application, uploads=uploads)
        )

    @_action(
        gettext_lazy("补交容缺材料（multipart）"),
        SupplyDeferredSerializer,
        description=gettext_lazy(
            "容缺受理的办件在办理中时，补交所缺材料：每个文件须注明是哪一项待补交的容缺材料（见 "
            "deferred_materials 的 material），已补交或不是容缺材料的予以拒绝。"
        ),
        multipart=True,
    )
    @action(detail=True, methods=["post"], url_path="supply-deferred")
    def supply_deferred(self, request, pk=None):
        data = _input(request, SupplyDeferredSerializer)
        application = self.get_object()
        return self._done(
            services.application_supply_deferred(
                resident=self.resident,
                application=application,
                uploads=uploads_with_materials(data["files"], data["materials"]),
            )
        )

    @_action(gettext_lazy("评价（好差评，办结后每件一次）"), ResidentRateSerializer)
    @action(detail=True, methods=["post"])
    def rate(self, request, pk=None):
        data = _input(request, ResidentRateSerializer)
        application = self.get_object()
        services.rating_submit(
            resident=self.resident, application=application, level=data["level"], comment=data["comment"]
        )
        return self._done(application)

    @_action(
        gettext_lazy("撤回申请（受理前）"),
        ResidentWithdrawSerializer,
        description=gettext_lazy(
            "受理前可在网上撤回，撤回后办理终止；已受理的须到窗口提交书面撤回申请（code 为 accepted）。"
        ),
    )
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        data = _input(request, ResidentWithdrawSerializer)
        if not data["confirm"]:
            raise ValidationFailed({"confirm": [_("请勾选确认撤回。")]})
        application = self.get_object()
        return self._done(
            services.application_withdraw(
                resident=self.resident, application=application, reason=data["reason"]
            )
        )

    @extend_schema(
        summary=gettext_lazy("下载办结通知书（PDF）"),
        responses={(200, "application/pdf"): OpenApiTypes.BINARY, 401: UNAUTHORIZED, 404: ERRORS[404]},
        tags=TAGS,
    )
    @action(detail=True, methods=["get"], url_path="outcome-document")
    def outcome_document(self, request, pk=None):
        application = self.get_object()
        return outcome.outcome_document_response(application)

    @extend_schema(
        summary=gettext_lazy("打印书面凭证（PDF）"),
        description=gettext_lazy(
            "受理通知书、不予受理通知书、补正材料通知书和材料接收凭证，与“我的办件”页面打印的相同；"
            "没有的，返回 400（code 为 bad_status）并说明原因。"
        ),
        parameters=NOTICE_PARAMETERS,
        responses={(200, "application/pdf"): OpenApiTypes.BINARY, **ERRORS},
        tags=TAGS,
    )
    @action(detail=True, methods=["get"], url_path=NOTICE_PATH)
    def notice_pdf(self, request, pk=None, kind=None):
        return notice_pdf_response(self.get_object(), kind, request)

    @extend_schema(
        summary=gettext_lazy("下载证明（PDF）"),
        description=gettext_lazy(
            "与窗口打印的证明相同的 PDF；已作废的证明不能下载（code 为 revoked），如仍需证明请到办理窗口重新开具。"
        ),
        parameters=[
            OpenApiParameter(
                "certificate_id",
                OpenApiTypes.INT,
                OpenApiParameter.PATH,
                description=gettext_lazy("证明编号（id）"),
            ),
        ],
        responses={(200, "application/pdf"): OpenApiTypes.BINARY, **ERRORS},
        tags=TAGS,
    )
    @action(detail=True, methods=["get"], url_path=r"certificates/(?P<certificate_id>[0-9]+)")
    def certificate_pdf(self, request, pk=None, certificate_id=None):
        certificate = certificates.holder_certificate(self.get_object(), int(certificate_id))
        return certificates.pdf_response(certificate, inline=False)
