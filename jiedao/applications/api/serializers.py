from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from jiedao.applications import certificates
from jiedao.applications.choices import ApplicationStatus, Outcome
from jiedao.applications.models import (
    Application,
    ApplicationMaterial,
    Certificate,
    DeferredMaterial,
    ExtensionRequest,
    ExtensionStatus,
)
from jiedao.applications.selectors import missing_required_materials
from jiedao.timelimits.choices import ClockStatus


class ExtensionRequestSerializer(serializers.ModelSerializer):
    """延期申请: requested with a reason, approved or refused by a leader."""

    status = serializers.CharField(
        read_only=True, help_text=_("状态：%s") % ", ".join(ExtensionStatus.values)
    )
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    requested_by = serializers.CharField(source="requested_by.username", read_only=True, allow_null=True)
    decided_by = serializers.CharField(source="decided_by.username", read_only=True, allow_null=True)

    class Meta:
        model = ExtensionRequest
        fields = [
            "id",
            "days",
            "reason",
            "status",
            "status_display",
            "requested_by",
            "requested_at",
            "decided_by",
            "decided_at",
            "decision_note",
        ]
        read_only_fields = fields


class DeferredMaterialSerializer(serializers.ModelSerializer):
    """A material accepted as missing (容缺), to be supplied by the application's `defer_until`."""

    supplied = serializers.SerializerMethodField(help_text=_("已补交"))

    class Meta:
        model = DeferredMaterial
        fields = ["id", "material", "name", "supplied", "supplied_at"]
        read_only_fields = fields

    def get_supplied(self, deferred) -> bool:
        return deferred.supplied_at is not None


class ApplicationSerializer(serializers.ModelSerializer):
    item_name = serializers.CharField(source="item.name", read_only=True)
    org_name = serializers.CharField(source="org.name", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    channel_display = serializers.CharField(source="get_channel_display", read_only=True)
    status = serializers.CharField(
        read_only=True, help_text=_("办件状态：%s") % ", ".join(ApplicationStatus.values)
    )
    channel = serializers.CharField(read_only=True, help_text=_("申请渠道：online 网上，window 窗口"))
    outcome = serializers.CharField(
        read_only=True, help_text=_("办理结果：approved 准予，denied 不予准予，未办结为空")
    )
    clock_status = serializers.CharField(
        read_only=True,
        allow_null=True,
        help_text=_("时限状态：%s；受理前为空") % ", ".join(ClockStatus.values),
    )
    due_provisional = serializers.BooleanField(
        read_only=True,
        default=False,
        help_text=_("办理期限涉及尚未录入国务院放假安排的年度，暂按周末和法定节日计算（录入后自动重新计算）"),
    )
    pending_extension = serializers.SerializerMethodField(help_text=_("等待审批的延期申请；没有则为空"))
    missing_materials = serializers.SerializerMethodField(
        help_text=_("事项要求必须提交、本办件尚未收取的材料名称（窗口可一次性告知补正）")
    )
    deferred_materials = DeferredMaterialSerializer(
        many=True, read_only=True, help_text=_("容缺受理时列明、由申请人后补的材料；非容缺受理为空")
    )
    defer_until = serializers.DateField(
        read_only=True, allow_null=True, help_text=_("容缺材料补交期限；非容缺受理为空")
    )
    on_applicant_account = serializers.SerializerMethodField(
        help_text=_(
            "办件在申请人实名认证的群众账号上（网上申请，或窗口登记后已归入），申请人可在网上查看和办理"
        )
    )

    class Meta:
        model = Application
        fields = [
            "id",
            "tracking_code",
            "item",
            "item_name",
            "org",
            "org_name",
            "applicant_name",
            "applicant_id_masked",
            "applicant_phone_masked",
            "enterprise_name",
            "enterprise_uscc",
            "channel",
            "channel_display",
            "status",
            "status_display",
            "submitted_at",
            "accepted_at",
            "deemed_accepted",
            "due_at",
            "concluded_at",
            "outcome",
            "outcome_text",
            "delivery_method",
            "delivered_at",
            "delivery_note",
            "correction_items",
            "clock_status",
            "due_provisional",
            "pending_extension",
            "missing_materials",
            "deferred_materials",
            "defer_until",
            "defer_committed",
            "on_applicant_account",
        ]
        read_only_fields = fields

    @extend_schema_field(ExtensionRequestSerializer(allow_null=True))
    def get_pending_extension(self, application):
        pending = getattr(application, "pending_extensions", None)
        if pending is None:
            pending = [
                x
                for x in application.extension_requests.select_related("requested_by", "decided_by")
                if x.status == ExtensionStatus.PENDING
            ]
        return ExtensionRequestSerializer(pending[0]).data if pending else None

    def get_on_applicant_account(self, application) -> bool:
        return application.resident_id is not None

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_missing_materials(self, application) -> list[str]:
        return missing_required_materials(application)


class ApplicationMaterialSerializer(serializers.ModelSerializer):
    class Meta:
        model = ApplicationMaterial
        fields = ["id", "material", "label", "original_name", "size", "content_type", "uploaded_at"]
        read_only_fields = fields


class WrittenNoticeSerializer(serializers.Serializer):
    """A written notice of an application that can be printed (`written_notices.printable`)."""

    kind = serializers.CharField(
        help_text=_(
            "文书：acceptance 受理通知书，refusal 不予受理通知书，correction 补正材料通知书，receipt 材料接收凭证"
        )
    )
    title = serializers.CharField(help_text=_("文书名称"))
    label = serializers.CharField(help_text=_("文书名称；同一种文书有多份的，注明第几份"))
    number = serializers.IntegerField(
        allow_null=True,
        help_text=_(
            "同一种文书的第几份（补正告知、窗口收取材料可有多份）；启用书面凭证前的办件为空，首次打印时出具"
        ),
    )
    issued_at = serializers.DateTimeField(allow_null=True, help_text=_("出具时间；首次打印时出具的为空"))
    pdf = serializers.SerializerMethodField(help_text=_("PDF 的接口地址"))

    def get_pdf(self, row) -> str:
        url = f"/api/v1/applications/{self.context['application_id']}/notices/{row['kind']}/"
        return f"{url}?number={row['number']}" if row["number"] else url


class CertificateSerializer(serializers.ModelSerializer):
    """证明 issued on an application (居住证明), the revoked ones too; the PDF is the one the window prints."""

    title = serializers.CharField(source="facts.title", read_only=True, help_text=_("证明名称"))
    kind = serializers.CharField(read_only=True, help_text=_("证明类型：residence 居住证明"))
    issued_by = serializers.CharField(
        source="created_by.username", read_only=True, allow_null=True, help_text=_("开具人账号")
    )
    revoked_by = serializers.CharField(
        source="revoked_by.username", read_only=True, allow_null=True, help_text=_("作废人账号；未作废为空")
    )
    revoked_at = serializers.DateTimeField(
        read_only=True, allow_null=True, help_text=_("作废时间；未作废为空")
    )
    revoke_reason = serializers.CharField(read_only=True, help_text=_("作废原因；未作废为空字符串"))
    code = serializers.CharField(read_only=True, help_text=_("查验码（印在证明上，查验页面凭此核验）"))
    verify_url = serializers.SerializerMethodField(help_text=_("公开查验页面的地址（即二维码内容）"))
    pdf = serializers.SerializerMethodField(help_text=_("PDF 的接口地址"))

    class Meta:
        model = Certificate
        fields = [
            "id",
            "kind",
            "title",
            "number",
            "code",
            "issued_at",
            "issued_by",
            "valid_until",
            "revoked_at",
            "revoked_by",
            "revoke_reason",
            "verify_url",
            "pdf",
        ]
        read_only_fields = fields

    def get_verify_url(self, certificate) -> str:
        return certificates.verify_url(certificate.code)

    def get_pdf(self, certificate) -> str:
        return f"/api/v1/applications/{certificate.application_id}/certificates/{certificate.pk}/"


class EnterpriseAndDeliveryFields(serializers.Serializer):
    """What an application asks besides its materials, at a window or online: the enterprise applied for (an
    enterprise item) and how the result is handed over."""

    enterprise_name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    enterprise_uscc = serializers.CharField(max_length=30, required=False, allow_blank=True, default="")
    delivery_method = serializers.CharField(
        max_length=10,
        required=False,
        allow_blank=True,
        default="",
        help_text=_("办理结果送达方式（事项的 delivery_methods 之一）：window 窗口领取、mail 邮寄送达"),
    )
    delivery_address = serializers.CharField(
        max_length=300,
        required=False,
        allow_blank=True,
        default="",
        help_text=_("邮寄送达的地址、收件人和电话"),
    )


class SubmitSerializer(EnterpriseAndDeliveryFields):
    """Window registration of a visitor's application (multipart)."""

    item = serializers.IntegerField(help_text=_("事项编号"))
    applicant_name = serializers.CharField(max_length=50)
    applicant_id_number = serializers.CharField(max_length=30, required=False, allow_blank=True, default="")
    applicant_phone = serializers.CharField(max_length=20)
    files = serializers.ListField(
        # An empty file is named by the service, with the others refused in the same answer.
        child=serializers.FileField(allow_empty_file=True),
        help_text=_(
            "材料文件：PDF，或照片（JPG、PNG、WebP、HEIC/HEIF、AVIF，按内容识别）；照片转正、去除拍摄地点等"
            "元数据后以 JPG（或 PNG）保存"
        ),
    )
    materials = serializers.ListField(
        child=serializers.IntegerField(min_value=0),
        required=False,
        default=list,
        help_text=_(
            "与 files 按顺序一一对应：每个文件是事项的哪一项申请材料（材料编号，见事项的 materials）；"
            "0 或缺省为其他材料"
        ),
    )


class SupplyDeferredSerializer(serializers.Serializer):
    """补交容缺材料 (multipart): each file with the 容缺 material it is."""

    files = serializers.ListField(
        # An empty file is named by the service, with the others refused in the same answer.
        child=serializers.FileField(allow_empty_file=True),
        help_text=_(
            "补交的材料文件：PDF，或照片（JPG、PNG、WebP、HEIC/HEIF、AVIF，按内容识别）；一次可补交一项或多项"
        ),
    )
    materials = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        help_text=_(
            "与 files 按顺序一一对应：每个文件是哪一项容缺材料（目录材料编号，见办件 deferred_materials 的 "
            "material）；同一项材料有多个文件的，重复填写该编号"
        ),
    )

    def validate(self, attrs):
        if len(attrs["materials"]) != len(attrs["files"]):
            raise serializers.ValidationError(
                {"materials": [_("materials 须与 files 按顺序一一对应，注明每个文件是哪一项容缺材料。")]}
            )
        return attrs


class CorrectionSerializer(serializers.Serializer):
    items = serializers.ListField(
        child=serializers.CharField(allow_blank=True, max_length=300), help_text=_("一次性告知的全部补正事项")
    )


class AcceptSerializer(serializers.Serializer):
    """受理; with `deferred_materials`, 容缺受理 (every missing required material must be 可容缺)."""

    deferred_materials = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        required=False,
        default=list,
        help_text=_("容缺受理：缺少的全部必须材料的目录材料编号（均须为可容缺材料）；普通受理不填"),
    )
    commitment_signed = serializers.BooleanField(
        required=False, default=False, help_text=_("容缺受理：申请人已签署容缺承诺书")
    )
    defer_until = serializers.DateField(
        required=False,
        allow_null=True,
        default=None,
        help_text=_("容缺受理：补交期限；不填则按系统参数自受理之日起若干个工作日"),
    )


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True)


class DeliverSerializer(serializers.Serializer):
    note = serializers.CharField(
        allow_blank=True, help_text=_("窗口领取：领取人姓名（代领的注明关系）；邮寄：快递公司和运单号")
    )


class ExtendSerializer(serializers.Serializer):
    """A request to extend the time limit; the due date moves only when it is approved."""

    days = serializers.IntegerField(min_value=1, max_value=60, help_text=_("申请延长的工作日数"))
    reason = serializers.CharField(allow_blank=True, help_text=_("延长理由"))


class ExtensionDecisionSerializer(serializers.Serializer):
    note = serializers.CharField(
        allow_blank=True, required=False, default="", help_text=_("审批意见（不予批准的须填写理由）")
    )


class ConcludeSerializer(serializers.Serializer):
    outcome = serializers.CharField(max_length=10, help_text=_("办理结果：%s") % ", ".join(Outcome.values))
    text = serializers.CharField(allow_blank=True, required=False, default="")


TRACK_INPUT_MAX_LENGTH = 20  # PublicTrackView checks its input by hand against the same limit


class TrackSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=TRACK_INPUT_MAX_LENGTH, help_text=_("查询码"))
    phone = serializers.CharField(max_length=TRACK_INPUT_MAX_LENGTH, help_text=_("申请时预留的手机号码"))


class TrackHistorySerializer(serializers.Serializer):
    action = serializers.CharField()
    at = serializers.DateTimeField()
    status = serializers.CharField()
    note = serializers.CharField()


class TrackResultSerializer(serializers.Serializer):
    tracking_code = serializers.CharField()
    item_name = serializers.CharField()
    status = serializers.CharField()
    status_display = serializers.CharField()
    due_at = serializers.DateTimeField(allow_null=True)
    instant = serializers.BooleanField(help_text=_("即办件：当场办结，没有办理期限"))
    due_provisional = serializers.BooleanField(
        help_text=_(
            "办理期限为临时计算：涉及尚未录入国务院放假安排的年度，暂按周末计算，如遇国家法定节假日安排将相应顺延"
        )
    )
    history = TrackHistorySerializer(many=True)


def _percent(help_text) -> serializers.DecimalField:
    """A share in per cent to one decimal (a JSON number), null when there is nothing to divide by."""
    return serializers.DecimalField(
        max_digits=4, decimal_places=1, allow_null=True, coerce_to_string=False, help_text=help_text
    )


class StatisticsRowSerializer(serializers.Serializer):
    """One row of 办件统计: a service item, an implementing body, a window or a month, or the total."""

    key = serializers.CharField(
        allow_null=True,
        help_text=_(
            "事项、组织或窗口的编号，月份为 YYYY-MM；按窗口统计时，网上申请的办件不计入受理窗口，"
            "单列一行，为 online；窗口登记而未记录窗口的为 null；合计行为 null"
        ),
    )
    name = serializers.CharField(
        help_text=_("事项名称、组织名称、窗口（网上申请的为“网上申请（未经窗口）”）或月份")
    )
    received = serializers.IntegerField(help_text=_("收件量：统计区间内提交（含窗口登记）的办件数"))
    accepted = serializers.IntegerField(help_text=_("受理量：统计区间内受理（含视为受理）的办件数"))
    rejected = serializers.IntegerField(help_text=_("不予受理：统计区间内不予受理的办件数"))
    corrections = serializers.IntegerField(help_text=_("补正次数：统计区间内一次性告知补正的次数"))
    concluded = serializers.IntegerField(help_text=_("办结量：统计区间内办结（准予或不予准予）的办件数"))
    on_time = serializers.IntegerField(help_text=_("按期办结：办结时未超过办理时限的"))
    overdue = serializers.IntegerField(help_text=_("超期办结：办结时已超过办理时限的"))
    on_time_rate = _percent(_("按期办结率（%，一位小数）；没有办结的为 null"))
    instant = serializers.IntegerField(help_text=_("办结的即办件数"))
    instant_share = _percent(_("即办件占办结量的比例（%，一位小数）；没有办结的为 null"))
    average_days = serializers.DecimalField(
        max_digits=8,
        decimal_places=1,
        allow_null=True,
        coerce_to_string=False,
        help_text=_(
            "平均办理用时：受理至办结的工作日数，不含暂停计时（补正、中止）的工作日；没有办结的为 null"
        ),
    )
    open = serializers.IntegerField(
        allow_null=True, help_text=_("当前在办（截至现在，不按统计区间）；按月份统计的为 null")
    )
    green = serializers.IntegerField(allow_null=True, help_text=_("当前在办中时限正常的"))
    yellow = serializers.IntegerField(allow_null=True, help_text=_("当前在办中时限预警的"))
    red = serializers.IntegerField(allow_null=True, help_text=_("当前在办中已超期的"))
    ratings = serializers.IntegerField(help_text=_("统计区间内收到的评价数"))
    satisfied = serializers.IntegerField(help_text=_("其中满意和非常满意的"))
    satisfaction = _percent(_("满意度（%，一位小数）：满意和非常满意占评价数的比例；没有评价的为 null"))


class StatisticsSerializer(serializers.Serializer):
    start = serializers.DateField(help_text=_("统计区间的第一天"))
    end = serializers.DateField(help_text=_("统计区间的最后一天（含）"))
    group = serializers.CharField(
        help_text=_("分组：item 事项、org 办理机构、window 窗口（网上申请单列）、month 月份")
    )
    rows = StatisticsRowSerializer(many=True)
    total = StatisticsRowSerializer()
