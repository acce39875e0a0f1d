"""Input and output of the resident API (/api/v1/resident/): what the applicant sees of their own
applications on the resident pages, never staff names, opinions or full numbers."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from jiedao.applications import certificates, services, written_notices
from jiedao.applications.api.serializers import (
    ApplicationMaterialSerializer,
    DeferredMaterialSerializer,
    EnterpriseAndDeliveryFields,
    TrackHistorySerializer,
)
from jiedao.applications.choices import OPEN_STATUSES, ApplicationStatus, RatingLevel
from jiedao.applications.models import Application, Resident
from jiedao.applications.selectors import DEFERRAL_STATUSES
from jiedao.timelimits.choices import ClockStatus

FILES_HELP = _(
    "材料文件：PDF，或照片（JPG、PNG、WebP、HEIC/HEIF、AVIF，按内容识别）；照片转正、去除拍摄地点等"
    "元数据后以 JPG（或 PNG）保存"
)


class ResidentPhoneSerializer(serializers.Serializer):
    phone = serializers.CharField(max_length=20, help_text=_("手机号码"))


class ResidentCodeSentSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text=_("提示语"))
    phone_masked = serializers.CharField(help_text=_("验证码发往的号码（部分隐藏）"))


class ResidentTokenRequestSerializer(serializers.Serializer):
    phone = serializers.CharField(max_length=20, help_text=_("手机号码"))
    code = serializers.CharField(max_length=6, help_text=_("短信验证码"))


class ResidentProfileSerializer(serializers.ModelSerializer):
    """The signed-in resident's own account: numbers masked, as on the resident pages."""

    verified = serializers.BooleanField(
        source="is_verified", read_only=True, help_text=_("已实名认证（实名认证后才能网上申请）")
    )

    class Meta:
        model = Resident
        fields = ["phone_masked", "real_name", "id_number_masked", "verified", "verified_at", "created_at"]
        read_only_fields = fields


class ResidentTokenSerializer(serializers.Serializer):
    token = serializers.CharField(
        help_text=_("群众接口令牌：只显示这一次，请求头 Authorization: Bearer <令牌>")
    )
    expires_at = serializers.DateTimeField(help_text=_("有效期至，期满须重新登录"))
    resident = ResidentProfileSerializer()


class ResidentIdentitySerializer(serializers.Serializer):
    real_name = serializers.CharField(max_length=50, help_text=_("姓名"))
    id_number = serializers.CharField(max_length=30, help_text=_("身份证件号码"))


class ResidentApplicationSerializer(serializers.ModelSerializer):
    """One of the resident's applications, as in 我的办件."""

    item_name = serializers.CharField(source="item.name", read_only=True)
    status = serializers.CharField(
        read_only=True, help_text=_("办件状态：%s") % ", ".join(ApplicationStatus.values)
    )
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    clock_status = serializers.CharField(
        read_only=True,
        allow_null=True,
        help_text=_("时限状态：%s；受理前为空") % ", ".join(ClockStatus.values),
    )

    class Meta:
        model = Application
        fields = [
            "id",
            "tracking_code",
            "item",
            "item_name",
            "enterprise_name",
            "status",
            "status_display",
            "clock_status",
            "due_at",
            "submitted_at",
            "concluded_at",
        ]
        read_only_fields = fields


class ResidentRatingSerializer(serializers.Serializer):
    level = serializers.IntegerField(help_text=_("评价等级：5 非常满意 … 1 非常不满意"))
    level_display = serializers.CharField(source="get_level_display")
    comment = serializers.CharField()
    created_at = serializers.DateTimeField()


def _base(application) -> str:
    return f"/api/v1/resident/applications/{application.pk}"


class ResidentNoticeSerializer(serializers.Serializer):
    """A written notice the applicant may print (受理通知书, 补正材料通知书, 材料接收凭证…), as on their page."""

    kind = serializers.CharField(
        help_text=_(
            "文书：acceptance 受理通知书，refusal 不予受理通知书，correction 补正材料通知书，receipt 材料接收凭证"
        )
    )
    label = serializers.CharField(help_text=_("文书名称；同一种文书有多份的，注明第几份"))
    issued_at = serializers.DateTimeField(allow_null=True, help_text=_("出具时间；首次打印时出具的为空"))
    pdf = serializers.CharField(help_text=_("PDF 的接口地址"))


class ResidentCertificateSerializer(serializers.Serializer):
    """A certificate issued on the application (居住证明); a revoked one cannot be downloaded."""

    id = serializers.IntegerField()
    title = serializers.CharField(help_text=_("证明名称"))
    number = serializers.CharField(help_text=_("证明编号"))
    issued_at = serializers.DateTimeField(help_text=_("开具时间"))
    valid_until = serializers.DateField(help_text=_("有效期至"))
    revoked = serializers.BooleanField(help_text=_("已作废（不能下载）"))
    verify_url = serializers.CharField(help_text=_("公开查验页面的地址（即二维码内容）"))
    pdf = serializers.CharField(allow_null=True, help_text=_("PDF 的接口地址；已作废的为空"))


class ResidentApplicationDetailSerializer(ResidentApplicationSerializer):
    """The application's page for its applicant: where it stands, what is asked of them, the history."""

    channel = serializers.CharField(read_only=True, help_text=_("申请渠道：online 网上，window 窗口"))
    channel_display = serializers.CharField(source="get_channel_display", read_only=True)
    due_provisional = serializers.BooleanField(
        read_only=True,
        default=False,
        help_text=_("办理期限涉及尚未录入国务院放假安排的年度，暂按周末和法定节日计算（录入后自动重新计算）"),
    )
    outcome = serializers.CharField(
        read_only=True, help_text=_("办理结果：approved 准予，denied 不予准予，未办结为空")
    )
    outcome_display = serializers.CharField(source="get_outcome_display", read_only=True)
    delivery_method_display = serializers.CharField(source="get_delivery_method_display", read_only=True)
    correction_items = serializers.ListField(
        child=serializers.CharField(), read_only=True, help_text=_("一次性告知须补正的事项（待补正时）")
    )
    deferred_materials = DeferredMaterialSerializer(
        many=True, read_only=True, help_text=_("容缺受理时列明、须于 defer_until 前补交的材料")
    )
    materials = ApplicationMaterialSerializer(many=True, read_only=True, help_text=_("已提交的材料"))
    history = serializers.SerializerMethodField(help_text=_("办理过程，按请求的 Accept-Language 显示"))
    rating = serializers.SerializerMethodField(help_text=_("您的评价；未评价为空"))
    can_resubmit = serializers.SerializerMethodField(help_text=_("可以提交补正材料"))
    can_supply_deferred = serializers.SerializerMethodField(help_text=_("可以补交容缺材料"))
    can_withdraw = serializers.SerializerMethodField(
        help_text=_("可以在网上撤回（受理前）；已受理的须到窗口提交书面撤回申请")
    )
    can_rate = serializers.SerializerMethodField(help_text=_("可以评价（办结后，每件一次）"))
    outcome_document = serializers.SerializerMethodField(
        help_text=_("办结通知书（PDF）的接口地址；没有的为空")
    )
    notices = serializers.SerializerMethodField(help_text=_("可打印的书面凭证，按出具先后排列"))
    certificates = serializers.SerializerMethodField(help_text=_("开具的证明（如居住证明），含已作废的"))

    class Meta(ResidentApplicationSerializer.Meta):
        fields = [
            *ResidentApplicationSerializer.Meta.fields,
            "channel",
            "channel_display",
            "accepted_at",
            "due_provisional",
            "outcome",
            "outcome_display",
            "outcome_text",
            "delivery_method",
            "delivery_method_display",
            "delivery_address",
            "delivered_at",
            "delivery_note",
            "correction_items",
            "deferred_materials",
            "defer_until",
            "materials",
            "history",
            "rating",
            "can_resubmit",
            "can_supply_deferred",
            "can_withdraw",
            "can_rate",
            "outcome_document",
            "notices",
            "certificates",
        ]
        read_only_fields = fields

    @extend_schema_field(TrackHistorySerializer(many=True))
    def get_history(self, application) -> list[dict]:
        # Times in China time like every other datetime of the API (and the public tracking's history).
        return [
            {
                "action": str(h["action"]),
                "at": timezone.localtime(h["at"]).isoformat(),
                "status": str(h["status"]),
                "note": h["note"],
            }
            for h in services.public_history(application)
        ]

    @extend_schema_field(ResidentRatingSerializer(allow_null=True))
    def get_rating(self, application):
        rating = getattr(application, "rating", None)
        return ResidentRatingSerializer(rating).data if rating is not None else None

    def get_can_resubmit(self, application) -> bool:
        return application.status == ApplicationStatus.CORRECTION_REQUESTED

    def get_can_supply_deferred(self, application) -> bool:
        return application.status in DEFERRAL_STATUSES and bool(services.outstanding_deferred(application))

    def get_can_withdraw(self, application) -> bool:
        return application.status in OPEN_STATUSES and application.accepted_at is None

    def get_can_rate(self, application) -> bool:
        return application.is_concluded and getattr(application, "rating", None) is None

    def get_outcome_document(self, application) -> str | None:
        return f"{_base(application)}/outcome-document/" if application.outcome_document else None

    @extend_schema_field(ResidentNoticeSerializer(many=True))
    def get_notices(self, application) -> list[dict]:
        rows = []
        for row in written_notices.printable(application):
            url = f"{_base(application)}/notices/{row['kind']}/"
            rows.append(
                {
                    "kind": row["kind"],
                    "label": row["label"],
                    "issued_at": row["issued_at"],
                    "pdf": f"{url}?number={row['number']}" if row["number"] else url,
                }
            )
        return ResidentNoticeSerializer(rows, many=True).data

    @extend_schema_field(ResidentCertificateSerializer(many=True))
    def get_certificates(self, application) -> list[dict]:
        rows = [
            {
                "id": c.pk,
                "title": c.facts.get("title", ""),
                "number": c.number,
                "issued_at": c.issued_at,
                "valid_until": c.valid_until,
                "revoked": c.revoked_at is not None,
                "verify_url": certificates.verify_url(c.code),
                "pdf": None if c.revoked_at else f"{_base(application)}/certificates/{c.pk}/",
            }
            for c in application.certificates.all()
        ]
        return ResidentCertificateSerializer(rows, many=True).data


class ResidentApplySerializer(EnterpriseAndDeliveryFields):
    """在线申请 (multipart): the item, its materials, and what the item asks besides."""

    item = serializers.IntegerField(help_text=_("事项编号（已发布、可网上办理的事项）"))
    # Not required here: the service says which materials are missing, after whether the item may be applied
    # for online at all.
    files = serializers.ListField(
        child=serializers.FileField(allow_empty_file=True), required=False, default=list, help_text=FILES_HELP
    )
    materials = serializers.ListField(
        child=serializers.IntegerField(min_value=0),
        required=False,
        default=list,
        help_text=_(
            "与 files 按顺序一一对应：每个文件是事项的哪一项申请材料（材料编号，见事项的 materials）；"
            "0 或缺省为其他材料。事项标明“必须”的材料都要提交"
        ),
    )


class ResidentResubmitSerializer(serializers.Serializer):
    """补正 (multipart): the corrected materials."""

    # Not required here: the service says which materials are missing, after whether the item may be applied
    # for online at all.
    files = serializers.ListField(
        child=serializers.FileField(allow_empty_file=True), required=False, default=list, help_text=FILES_HELP
    )
    materials = serializers.ListField(
        child=serializers.IntegerField(min_value=0),
        required=False,
        default=list,
        help_text=_("与 files 按顺序一一对应：每个文件是事项的哪一项申请材料；0 或缺省为其他材料"),
    )


class ResidentRateSerializer(serializers.Serializer):
    level = serializers.IntegerField(
        help_text=_("评价等级：%s") % "，".join(f"{value} {label}" for value, label in RatingLevel.choices)
    )
    comment = serializers.CharField(
        max_length=1000, required=False, allow_blank=True, default="", help_text=_("意见建议")
    )


class ResidentWithdrawSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=1000, required=False, allow_blank=True, default="", help_text=_("撤回原因（选填）")
    )
    confirm = serializers.BooleanField(help_text=_("须为 true：确认撤回。撤回后办理终止，如需办理须重新申请"))
