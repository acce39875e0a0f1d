"""The online service hall (网上办事大厅): resident accounts, applications and their materials, history,
first-inquiry responsibility, agency service, ratings with rectification, public notices and objections."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from jiedao.applications.choices import (
    ApplicationStatus,
    Channel,
    EventAction,
    InquiryStatus,
    NoticeKind,
    Outcome,
    RatingChannel,
    RatingLevel,
    RectificationStatus,
)
from jiedao.catalog.choices import DeliveryMethod
from jiedao.core.fields import EncryptedTextField
from jiedao.core.i18n import shown
from jiedao.core.scope import ScopeAware, ScopedModel, ScopedQuerySet, scope_for
from jiedao.core.storage import private_files

USER = settings.AUTH_USER_MODEL


class Resident(models.Model):
    """A resident's account (群众账号), separate from staff accounts: mobile number + SMS code.

    Signed-in residents are kept in `request.session["resident_id"]`, never in Django's auth.
    """

    phone = EncryptedTextField(_("手机号码"))
    phone_hash = models.CharField(max_length=64, unique=True, editable=False)
    phone_masked = models.CharField(_("手机号码"), max_length=20)
    real_name = models.CharField(_("姓名"), max_length=50, blank=True)
    id_number = EncryptedTextField(_("身份证件号码"), blank=True)
    id_number_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    id_number_masked = models.CharField(_("身份证件号码"), max_length=30, blank=True)
    person = models.ForeignKey(
        "registry.Person",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("对应实有人口"),
    )
    created_at = models.DateTimeField(_("注册时间"), auto_now_add=True)
    verified_at = models.DateTimeField(_("实名认证时间"), null=True, blank=True)
    last_login_at = models.DateTimeField(_("最近登录"), null=True, blank=True)
    # Raised when the account's phone changes: sessions signed in before (on a lost or sold phone) end.
    session_epoch = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        verbose_name = _("群众账号")
        verbose_name_plural = _("群众账号")

    def __str__(self) -> str:
        return f"{self.real_name or _('未实名')} {self.phone_masked}"

    @property
    def is_verified(self) -> bool:
        return self.verified_at is not None


class SmsCodePurpose(models.TextChoices):
    LOGIN = "login", _("登录")
    CHANGE_PHONE = "change_phone", _("更换绑定手机号")
    CLOSE_ACCOUNT = "close_account", _("注销账号")


class SmsCode(models.Model):
    """A one-time code: only hashes are stored; valid 5 minutes, at most 5 tries. A code serves only the
    purpose it was sent for: the code that proves a new number to rebind an account signs nobody in."""

    phone_hash = models.CharField(max_length=64, db_index=True)
    purpose = models.CharField(max_length=16, choices=SmsCodePurpose.choices, default=SmsCodePurpose.LOGIN)
    code_hash = models.CharField(max_length=64)
    ip = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(db_index=True)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("短信验证码")
        verbose_name_plural = _("短信验证码")

    def __str__(self) -> str:
        return f"{_('短信验证码')} #{self.pk}"


class ResidentToken(models.Model):
    """A resident's token for the resident API (/api/v1/resident/: a mini-program or a mobile app), issued on
    signing in by SMS code. Only its hash is stored: a copy of the database signs nobody in. It expires
    (`applications.resident_token_days`), is revoked on signing out, ends with the account (deleted with it)
    and, like a web session, when the account's phone changes (`epoch` is the account's `session_epoch` when
    it was issued)."""

    resident = models.ForeignKey(
        Resident, on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("群众账号")
    )
    token_hash = models.CharField(max_length=64, unique=True)
    epoch = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(_("签发时间"))
    expires_at = models.DateTimeField(_("有效期至"))
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("退出登录时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("群众接口令牌")
        verbose_name_plural = _("群众接口令牌")

    def __str__(self) -> str:
        return f"{_('群众接口令牌')} #{self.pk}"


class ApplicationQuerySet(ScopedQuerySet):
    def readable_by(self, user) -> ScopedQuerySet:
        """The applications `user` may open read-only (the staff page, its materials and written documents,
        the API's reads): those in the scope of ``applications.view_application``, and those whose process
        they take part in — a step in their 待办 or 已办 (a community worker verifying a sub-district's 低保
        at home). Taking part opens the application to be read, never to be acted on: every action keeps
        asking its own permission's scope. Lists stay the scope alone (they are the office's register; a
        step's application is reached from the step)."""
        from jiedao.workflow.selectors import takes_part_in_process

        grant = scope_for(user, "applications.view_application")
        if grant.everything or grant.nothing:
            return self.visible_to(user, "view")
        return self.visible_to(user, "view") | self.filter(takes_part_in_process(user, Application))


class Application(ScopedModel):
    """办件: one application for one service item; `org` is the item's implementing body."""

    item = models.ForeignKey(
        "catalog.ServiceItem", on_delete=models.PROTECT, related_name="+", verbose_name=_("事项")
    )
    resident = models.ForeignKey(
        Resident,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="applications",
        verbose_name=_("申请人账号"),
    )
    applicant_name = models.CharField(_("申请人"), max_length=50)
    applicant_id_number = EncryptedTextField(_("证件号码"), blank=True)
    applicant_id_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    applicant_id_masked = models.CharField(_("证件号码"), max_length=30, blank=True)
    applicant_phone = EncryptedTextField(_("联系电话"))
    applicant_phone_hash = models.CharField(max_length=64, db_index=True, editable=False)
    applicant_phone_masked = models.CharField(_("联系电话"), max_length=20)
    enterprise_name = models.CharField(_("企业名称"), max_length=200, blank=True)
    enterprise_uscc = models.CharField(_("统一社会信用代码"), max_length=18, blank=True, db_index=True)
    channel = models.CharField(_("申请渠道"), max_length=10, choices=Channel.choices)
    delivery_method = models.CharField(
        _("送达方式"), max_length=10, choices=DeliveryMethod.choices, blank=True
    )
    delivery_address = EncryptedTextField(_("邮寄地址"), blank=True)
    delivered_at = models.DateTimeField(_("送达时间"), null=True, blank=True)
    delivery_note = models.CharField(_("送达记录"), max_length=200, blank=True)
    window = models.ForeignKey(
        "applications.ServiceWindow",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("受理窗口"),
        help_text=_("窗口登记的为登记人所在窗口；网上申请的为受理人所在窗口"),
    )
    community = models.ForeignKey(
        "orgs.OrgUnit",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("居住社区"),
        help_text=_("申请人居住的社区（实施主体辖区内）；申请人不在实有人口库时，据此确定由哪个社区办理"),
    )
    appointment = models.ForeignKey(
        "appointments.Appointment",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("预约"),
        help_text=_("窗口收件时来人已签到的预约"),
    )
    tracking_code = models.CharField(_("查询码"), max_length=12, unique=True)
    status = models.CharField(
        _("状态"), max_length=24, choices=ApplicationStatus.choices, default=ApplicationStatus.DRAFT
    )
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    received_at = models.DateTimeField(
        _("材料接收时间"), null=True, blank=True, help_text=_("最近一次提交或补正的时间，用于逾期视为受理")
    )
    accepted_at = models.DateTimeField(_("受理时间"), null=True, blank=True)
    deemed_accepted = models.BooleanField(_("视为受理"), default=False)
    due_at = models.DateTimeField(_("办理期限"), null=True, blank=True)
    concluded_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    concluded_by = models.ForeignKey(
        USER, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("办结人")
    )
    # The time-limit clock's verdict as it stopped at conclusion (`services._conclude`), kept here so that
    # 办件统计 counts 超期办结 and 平均办理用时 from the applications alone instead of looking up each one's
    # clock (a generic relation). A stopped clock does not change afterwards. Empty until concluded.
    concluded_overdue = models.BooleanField(_("办结时已超期"), null=True, blank=True, editable=False)
    concluded_paused_days = models.PositiveIntegerField(
        _("办结时暂停顺延天数"), null=True, blank=True, editable=False
    )
    outcome = models.CharField(_("办理结果"), max_length=10, choices=Outcome.choices, blank=True)
    outcome_text = models.TextField(_("结果说明"), blank=True)
    outcome_document = models.FileField(
        _("办结通知书"),
        upload_to="applications/outcomes/%Y/%m/",
        storage=private_files,
        blank=True,
        editable=False,
    )
    correction_items = models.JSONField(_("补正材料清单"), default=list, blank=True)
    status_note = models.TextField(_("状态说明"), blank=True)
    # 容缺受理: accepted with some tolerable materials missing, to be supplied by `defer_until` under the
    # applicant's written commitment (承诺书); the materials are `deferred_materials`.
    defer_until = models.DateField(_("容缺材料补交期限"), null=True, blank=True)
    defer_committed = models.BooleanField(_("已签署容缺承诺书"), default=False)
    defer_reminded_at = models.DateTimeField(_("容缺补交提醒时间"), null=True, blank=True, editable=False)

    objects = ApplicationQuerySet.as_manager()

    class Meta:
        verbose_name = _("办件")
        verbose_name_plural = _("办件")
        ordering = ["-id"]
        permissions = [
            ("accept_application", _("受理、补正、不予受理、中止与恢复办件")),
            ("conclude_application", _("办结办件")),
            ("extend_application", _("申请延长办件时限")),
            ("approve_extension", _("审批延长办件时限")),
            # 办件台账: a bulk copy of applicants' personal data leaves the system, so it is granted
            # by itself (as audit.export_auditevent), not with the right to look at the list.
            ("export_application", _("导出办件台账")),
        ]
        indexes = [
            models.Index(fields=["status", "received_at"], name="applications_status_received"),
            # The staff search (selectors.filter_applications): with these two, each branch (tracking code,
            # full name, item, enterprise name) has an index and the database combines them instead of
            # reading every application in scope. The enterprise names are those of the applications of
            # an enterprise only (the search reads them in full: a name contains the words anywhere).
            models.Index(fields=["applicant_name"], name="applications_applicant_name"),
            models.Index(
                fields=["enterprise_name"],
                condition=~models.Q(enterprise_name=""),
                name="applications_enterprise_name",
            ),
            # 好差评统计 (selectors.rating_tables) joins every rated application in scope by id for these
            # keys: read from this index alone (14 MB at 300,000 applications) instead of the table's rows
            # (108 MB), in id order for every scope. Plain key columns, not INCLUDE: SQLite has no INCLUDE.
            # `channel`: 按窗口 puts the applications that came in online in a row of their own.
            models.Index(fields=["id", "org", "item", "window", "channel"], name="applications_rating_keys"),
            # 办件统计 (statistics.service_statistics) counts the applications submitted, accepted and
            # concluded within a range, over the orgs of the reader's scope: each index reads that range
            # within each org (a district's 27, a community's 4) and holds the columns the count groups by
            # (and, for 办结, filters on and adds up: the clock's facts kept at conclusion), so SQLite
            # answers from the index without reading the rows. `channel`: 按窗口 counts the applications that
            # came in online in a row of their own (statistics.window_key).
            models.Index(
                fields=["org", "submitted_at", "item", "window", "channel"],
                name="applications_stats_submitted",
            ),
            models.Index(
                fields=["org", "accepted_at", "item", "window", "channel"], name="applications_stats_accepted"
            ),
            models.Index(
                fields=[
                    "org",
                    "concluded_at",
                    "status",
                    "item",
                    "window",
                    "channel",
                    "accepted_at",
                    "concluded_overdue",
                    "concluded_paused_days",
                ],
                name="applications_stats_concluded",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.tracking_code} {self.item_id and self.item.name}"

    @property
    def is_concluded(self) -> bool:
        return self.status in (ApplicationStatus.CONCLUDED_APPROVED, ApplicationStatus.CONCLUDED_DENIED)


class ExtensionStatus(models.TextChoices):
    PENDING = "pending", _("待审批")
    APPROVED = "approved", _("已批准")
    REFUSED = "refused", _("不予批准")
    LAPSED = "lapsed", _("办件已办结，申请失效")


class ExtensionRequest(models.Model):
    """延长办理时限的申请: requested by window staff with a reason, decided by someone who may approve
    extensions (a leader). The due date moves only when it is approved."""

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="extension_requests", verbose_name=_("办件")
    )
    days = models.PositiveSmallIntegerField(_("延长工作日数"))
    reason = models.TextField(_("延长理由"))
    status = models.CharField(
        _("状态"), max_length=10, choices=ExtensionStatus.choices, default=ExtensionStatus.PENDING
    )
    requested_by = models.ForeignKey(
        USER, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("申请人")
    )
    requested_at = models.DateTimeField(_("申请时间"))
    decided_by = models.ForeignKey(
        USER, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("审批人")
    )
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    decision_note = models.TextField(_("审批意见"), blank=True)

    class Meta:
        verbose_name = _("延期申请")
        verbose_name_plural = _("延期申请")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["application"],
                condition=models.Q(status="pending"),
                name="applications_one_pending_extension",
            )
        ]

    def __str__(self) -> str:
        return f"{_('延期申请')} #{self.pk}"


class ApplicationMaterial(models.Model):
    """An uploaded file of an application (PDF, JPEG or PNG, type checked by content)."""

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="materials", verbose_name=_("办件")
    )
    material = models.ForeignKey(
        "catalog.Material",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("目录材料"),
    )
    label = models.CharField(_("材料名称"), max_length=200)
    file = models.FileField(_("文件"), upload_to="applications/%Y/%m/", storage=private_files)
    original_name = models.CharField(_("原文件名"), max_length=255)
    size = models.PositiveIntegerField(_("大小（字节）"))
    content_type = models.CharField(_("文件类型"), max_length=40)
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("办件材料")
        verbose_name_plural = _("办件材料")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.label

    @property
    def is_photo(self) -> bool:
        """A photo (stored as an image, turned upright and stripped of its EXIF), not a PDF."""
        return self.content_type.startswith("image/")

    @property
    def download_name(self) -> str:
        """The name the file is saved under: the applicant's name for it (at most 80 characters: a longer one
        is refused by file systems in bytes) with the extension of what is stored — a photo sent as
        IMG_0001.HEIC is kept as JPEG and opens as IMG_0001.jpg."""
        from jiedao.core.uploads import EXTENSIONS

        stem = self.original_name.rsplit(".", 1)[0] if "." in self.original_name else self.original_name
        return (stem.strip()[:80] or "material") + EXTENSIONS.get(self.content_type, "")


class DeferredMaterial(models.Model):
    """A material accepted as missing (容缺) that the applicant undertook to supply; `supplied_at` is set
    when a file of that material arrives."""

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="deferred_materials", verbose_name=_("办件")
    )
    material = models.ForeignKey(
        "catalog.Material",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("目录材料"),
    )
    name = models.CharField(_("材料名称"), max_length=200)
    supplied_at = models.DateTimeField(_("补交时间"), null=True, blank=True)
    supplied_file = models.ForeignKey(
        ApplicationMaterial,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("补交文件"),
    )

    class Meta:
        verbose_name = _("容缺材料")
        verbose_name_plural = _("容缺材料")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class ApplicationEvent(models.Model):
    """The history of an application (办理过程): who did what, when, with which note."""

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="events", verbose_name=_("办件")
    )
    action = models.CharField(_("环节"), max_length=24, choices=EventAction.choices)
    actor = models.ForeignKey(
        USER, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("经办人")
    )
    by_applicant = models.BooleanField(_("由申请人操作"), default=False)
    from_status = models.CharField(_("原状态"), max_length=24, choices=ApplicationStatus.choices, blank=True)
    to_status = models.CharField(_("新状态"), max_length=24, choices=ApplicationStatus.choices, blank=True)
    note = models.TextField(_("说明"), blank=True)
    # A note the system words (视为受理, 容缺, 延期, 公示…) as msgid and parameters, shown in the reader's
    # language; empty for what a person typed and for rows written before it existed (`core.i18n.shown`).
    note_message = models.JSONField(_("系统说明"), default=dict, blank=True)
    at = models.DateTimeField(_("时间"))

    class Meta:
        verbose_name = _("办理记录")
        verbose_name_plural = _("办理记录")
        ordering = ["at", "id"]
        indexes = [
            # 办件统计's 补正次数: the 一次性告知 of a range, whatever the application (its scope is checked
            # per event), instead of every event of every application in scope.
            models.Index(fields=["action", "at"], name="applications_event_action_at"),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.at:%Y-%m-%d %H:%M}"

    @property
    def note_text(self) -> str:
        return shown(self.note_message, self.note)


class WrittenNotice(models.Model):
    """书面凭证: a document handed to the applicant — 受理通知书, 不予受理通知书, 补正材料通知书 (一次性告知书),
    材料接收凭证 — issued in the same transaction as the act it records (行政许可法第三十二条: a dated written
    voucher under the office's seal).

    `facts` is what the document says, fixed when it is issued (names, item, dates, time limit, phones, the
    correction items, the materials received), so a reprint years later shows the same text although the
    item, the org or the application have changed since; the PDF is rendered from it on demand
    (`written_notices.render_pdf`), the same bytes each time. `number` counts the documents of one kind of one
    application (a second correction round, each batch of materials received at the window)."""

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="written_notices", verbose_name=_("办件")
    )
    kind = models.CharField(_("文书"), max_length=12, choices=NoticeKind.choices)
    number = models.PositiveSmallIntegerField(_("序号"), default=1)
    issued_at = models.DateTimeField(_("出具时间"))
    issued_by = models.ForeignKey(
        USER, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("出具人")
    )
    facts = models.JSONField(_("文书内容"), default=dict)

    class Meta:
        verbose_name = _("书面凭证")
        verbose_name_plural = _("书面凭证")
        ordering = ["issued_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "kind", "number"], name="applications_written_notice_number"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.number}"


class Certificate(ScopedModel):
    """证明: a certificate the office issues on an approved application of a certificate item (居住证明),
    filled from the registry (`jiedao.applications.certificates`). `org` is the issuing body (the
    application's org), `created_by` who issued it.

    `number` (〔2026〕柳浪居证字第 0001 号) counts per issuing org, kind and year (`serial`, from
    `CertificateCounter`, never reused: a revoked certificate keeps its number). `code` (查验码) opens the
    public check page /verify/<code>. `facts` is what the certificate says, fixed when it is issued, so a
    reprint is identical whatever changed in the registry since; the holder's identity number is kept
    encrypted beside it, not in the JSON."""

    application = models.ForeignKey(
        Application, on_delete=models.PROTECT, related_name="certificates", verbose_name=_("办件")
    )
    kind = models.CharField(_("证明类型"), max_length=20)
    year = models.PositiveSmallIntegerField(_("年度"))
    serial = models.PositiveIntegerField(_("顺序号"))
    number = models.CharField(_("证明编号"), max_length=80)
    code = models.CharField(_("查验码"), max_length=16, unique=True)
    holder_id_number = EncryptedTextField(_("公民身份号码"))
    issued_at = models.DateTimeField(_("开具时间"))
    valid_until = models.DateField(_("有效期至"))
    facts = models.JSONField(_("证明内容"), default=dict)
    revoked_at = models.DateTimeField(_("作废时间"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        USER, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("作废人")
    )
    revoke_reason = models.CharField(_("作废原因"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("证明")
        verbose_name_plural = _("证明")
        ordering = ["issued_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["org", "kind", "year", "serial"], name="applications_cert_serial"
            ),
            # One certificate in force per application: another is issued only after it is revoked.
            models.UniqueConstraint(
                fields=["application"],
                condition=models.Q(revoked_at__isnull=True),
                name="applications_cert_one_in_force",
            ),
        ]

    def __str__(self) -> str:
        return self.number


class CertificateCounter(ScopeAware, models.Model):
    """The last serial given per issuing org, kind and year: locked (SELECT … FOR UPDATE) while a certificate
    is numbered, so two clerks issuing at the same moment get consecutive numbers."""

    scope_owner_field = None

    org = models.ForeignKey("orgs.OrgUnit", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20)
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("证明编号计数器")
        verbose_name_plural = _("证明编号计数器")
        constraints = [
            models.UniqueConstraint(fields=["org", "kind", "year"], name="applications_cert_counter")
        ]

    def __str__(self) -> str:
        return f"{self.org_id} {self.kind} {self.year}: {self.last}"


class Inquiry(ScopedModel):
    """首问负责制: the first staff member asked (`created_by`) owns the inquiry until a hand-off is
    acknowledged by the receiver, who then owns it (`owner`)."""

    scope_owner_field = "owner"

    visitor_name = models.CharField(_("来访人"), max_length=50)
    visitor_phone = EncryptedTextField(_("联系电话"), blank=True)
    visitor_phone_masked = models.CharField(_("联系电话"), max_length=20, blank=True)
    question = models.TextField(_("咨询事项"))
    answer = models.TextField(_("答复"), blank=True)
    status = models.CharField(
        _("状态"), max_length=12, choices=InquiryStatus.choices, default=InquiryStatus.OPEN
    )
    owner = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("当前负责人"))
    answered_at = models.DateTimeField(_("答复时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("首问登记")
        verbose_name_plural = _("首问登记")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.visitor_name}：{self.question[:20]}"


class InquiryHandOver(models.Model):
    inquiry = models.ForeignKey(Inquiry, on_delete=models.CASCADE, related_name="handovers")
    from_user = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("转交人"))
    to_user = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("接收人"))
    note = models.TextField(_("转交说明"), blank=True)
    created_at = models.DateTimeField(_("转交时间"), auto_now_add=True)
    acknowledged_at = models.DateTimeField(_("接收时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("首问转交")
        verbose_name_plural = _("首问转交")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.inquiry_id} → {self.to_user_id}"


class AgencyAssignment(ScopedModel):
    """代办: a staff agent assigned to an enterprise's project."""

    scope_owner_field = "agent"

    agent = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("代办员"))
    enterprise_name = models.CharField(_("企业名称"), max_length=200)
    enterprise_uscc = models.CharField(_("统一社会信用代码"), max_length=18, db_index=True)
    project_name = models.CharField(_("项目名称"), max_length=200)
    is_active = models.BooleanField(_("有效"), default=True)

    class Meta:
        verbose_name = _("代办服务")
        verbose_name_plural = _("代办服务")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.enterprise_name} · {self.project_name}"


class Rating(models.Model):
    """好差评: one rating per concluded application."""

    application = models.OneToOneField(
        Application, on_delete=models.CASCADE, related_name="rating", verbose_name=_("办件")
    )
    level = models.PositiveSmallIntegerField(_("评价"), choices=RatingLevel.choices)
    comment = models.TextField(_("意见"), blank=True)
    channel = models.CharField(_("评价渠道"), max_length=10, choices=RatingChannel.choices)
    recorded_by = models.ForeignKey(
        USER, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("窗口代录人")
    )
    paper_number = models.CharField(_("纸质评价表编号"), max_length=50, blank=True)
    staff = models.ForeignKey(
        USER,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("被评价人员"),
        help_text=_(
            "申请人在窗口接触的工作人员（窗口登记人或受理人）；没有的，为办结人或流程中最后经办的工作人员（用于按人员统计和差评整改）"
        ),
    )
    created_at = models.DateTimeField(_("评价时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("评价")
        verbose_name_plural = _("评价")
        ordering = ["-id"]
        indexes = [
            # 办件统计's 满意度 counts the ratings given in a range.
            models.Index(fields=["created_at"], name="applications_rating_created"),
        ]

    def __str__(self) -> str:
        return self.get_level_display()


class RatingToken(models.Model):
    """The applicant's rating link (/r/<token>), sent by SMS at conclusion and shown as a QR code at the window.

    Only a hash of the token is stored, for the look-up. The token itself is derived from `salt` with the
    server's blind-index key, so the window can show the same link again (QR code, 评价器) without the
    database holding it: a copy of the database alone cannot rate. Single use; expires."""

    application = models.OneToOneField(
        Application, on_delete=models.CASCADE, related_name="rating_token", verbose_name=_("办件")
    )
    salt = models.CharField(max_length=32)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("生成时间"))
    expires_at = models.DateTimeField(_("有效期至"))
    used_at = models.DateTimeField(_("使用时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("评价链接")
        verbose_name_plural = _("评价链接")

    def __str__(self) -> str:
        return f"{self.application_id}"


class Rectification(ScopedModel):
    """差评整改: opened by a 不满意 / 非常不满意 rating; closed with a return visit and feedback."""

    scope_owner_field = "responsible"

    rating = models.OneToOneField(Rating, on_delete=models.CASCADE, related_name="rectification")
    responsible = models.ForeignKey(
        USER, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("整改责任人")
    )
    department = models.CharField(_("责任科室"), max_length=100, blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=RectificationStatus.choices, default=RectificationStatus.OPEN
    )
    due_at = models.DateTimeField(_("整改期限"), null=True, blank=True)
    measures = models.TextField(_("整改措施"), blank=True)
    return_visit = models.TextField(_("回访记录"), blank=True)
    feedback = models.TextField(_("反馈内容"), blank=True)
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    closed_by = models.ForeignKey(
        USER, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("办结人")
    )

    class Meta:
        verbose_name = _("差评整改")
        verbose_name_plural = _("差评整改")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{_('差评整改')} #{self.pk}"


class PublicNotice(ScopedModel):
    """公示: the approved result of an item that must be published, with masked names only."""

    application = models.OneToOneField(
        Application, on_delete=models.CASCADE, related_name="notice", verbose_name=_("办件")
    )
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("公示内容"))
    starts_at = models.DateTimeField(_("公示开始"))
    ends_at = models.DateTimeField(_("公示截止"))
    archived_at = models.DateTimeField(_("归档时间"), null=True, blank=True)
    # Set when the process weighs the objections (`applications.check_objections`): an objection arriving
    # after that moment would not be weighed, so it is refused as after the period.
    objections_closed_at = models.DateTimeField(_("异议汇总时间"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("公示")
        verbose_name_plural = _("公示")
        ordering = ["-starts_at", "-id"]

    def __str__(self) -> str:
        return self.title


class Objection(models.Model):
    """异议: filed by anyone during a notice period. `ip_hash`: the blind index of the filing address, to hold
    each address to `applications.objection_limit` objections an hour whatever server process took them."""

    notice = models.ForeignKey(PublicNotice, on_delete=models.CASCADE, related_name="objections")
    name = models.CharField(_("姓名"), max_length=50)
    phone = EncryptedTextField(_("联系电话"))
    phone_masked = models.CharField(_("联系电话"), max_length=20)
    content = models.TextField(_("异议内容"))
    ip_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    created_at = models.DateTimeField(_("提出时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("异议")
        verbose_name_plural = _("异议")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.name}：{self.content[:20]}"


class ObjectionTask(ScopedModel):
    """The task an objection creates for the staff member responsible for the application."""

    scope_owner_field = "assignee"

    objection = models.OneToOneField(Objection, on_delete=models.CASCADE, related_name="task")
    assignee = models.ForeignKey(
        USER, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("承办人")
    )
    answer = models.TextField(_("处理结果"), blank=True)
    resolved_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        USER, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("处理人")
    )

    class Meta:
        verbose_name = _("异议处理")
        verbose_name_plural = _("异议处理")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{_('异议处理')} #{self.pk}"


class ServiceWindow(ScopedModel):
    """窗口: a numbered service window of a service center (便民服务中心), e.g. 3号窗口 社会救助, and the staff
    who work at it. An application records the window it was registered at (walk-in: the registering staff
    member's window) or, when it came in online, accepted at, for the rating statistics per window."""

    number = models.CharField(_("窗口号"), max_length=20, help_text=_("如“3号窗口”"))
    name = models.CharField(_("窗口名称"), max_length=100, help_text=_("如“社会救助”"))
    staff = models.ManyToManyField(
        USER, blank=True, related_name="service_windows", verbose_name=_("窗口人员")
    )
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("服务窗口")
        verbose_name_plural = _("服务窗口")
        ordering = ["org_id", "number"]
        constraints = [models.UniqueConstraint(fields=["org", "number"], name="applications_window_number")]

    def __str__(self) -> str:
        return f"{self.number} {self.name}"

    @classmethod
    def of(cls, user) -> ServiceWindow | None:
        """The active window a staff member works at (the first, should they be listed at several)."""
        if not getattr(user, "pk", None):
            return None
        return cls.objects.filter(staff=user, is_active=True).order_by("id").first()


class PadDevice(models.Model):
    """评价器: a device facing the applicant at a window, paired by a single-use link (a QR code on the
    window's page) instead of signed in as staff. The device keeps a random token in a cookie; only hashes
    are stored, of the pairing link's token and of the device's. The device can show and rate at its window
    and nothing else."""

    window = models.ForeignKey(
        ServiceWindow, on_delete=models.CASCADE, related_name="pad_devices", verbose_name=_("服务窗口")
    )
    link_hash = models.CharField(max_length=64, unique=True)
    link_expires_at = models.DateTimeField(_("配对链接有效期至"))
    created_by = models.ForeignKey(
        USER, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("配对人")
    )
    created_at = models.DateTimeField(_("生成时间"))
    device_hash = models.CharField(max_length=64, unique=True, null=True)
    paired_at = models.DateTimeField(_("配对时间"), null=True)
    last_seen_at = models.DateTimeField(_("最近使用"), null=True)
    revoked_at = models.DateTimeField(_("解除配对时间"), null=True)
    revoked_by = models.ForeignKey(
        USER, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("解除配对人")
    )

    class Meta:
        verbose_name = _("评价器")
        verbose_name_plural = _("评价器")

    def __str__(self) -> str:
        return f"{self.window} #{self.pk}"
