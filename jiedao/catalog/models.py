"""The service catalog (事项目录): service items with their guides (办事指南), materials, and announcements."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from jiedao.catalog.choices import (
    AnnouncementCategory,
    Audience,
    Availability,
    CertificateKind,
    DeliveryMethod,
    ItemKind,
    LifeEvent,
    MaterialForm,
    PowerType,
)
from jiedao.core.scope import ScopedModel


class ServiceItem(ScopedModel):
    """政务服务事项: `org` is the implementing body (a sub-district or community node)."""

    code = models.CharField(_("事项编码"), max_length=40, unique=True)
    name = models.CharField(_("事项名称"), max_length=200)
    kind = models.CharField(_("办件类型"), max_length=10, choices=ItemKind.choices)
    power_type = models.CharField(
        _("权力类型"), max_length=20, choices=PowerType.choices, default=PowerType.PUBLIC_SERVICE
    )
    audience = models.CharField(
        _("服务对象"), max_length=10, choices=Audience.choices, default=Audience.PERSON
    )
    life_events = models.JSONField(
        _("人生事件"), default=list, blank=True, help_text=_("如：生育、就业、养老")
    )
    department = models.CharField(_("承办科室"), max_length=100, blank=True)
    legal_basis = models.TextField(_("设定依据"))
    conditions = models.TextField(_("受理条件"))
    steps = models.TextField(_("办理流程"))
    statutory_limit_days = models.PositiveSmallIntegerField(_("法定时限（工作日）"))
    promised_limit_days = models.PositiveSmallIntegerField(_("承诺时限（工作日）"))
    fee = models.CharField(_("收费标准"), max_length=200, default="不收费")
    fee_basis = models.CharField(_("收费依据"), max_length=300, blank=True)
    window_address = models.CharField(_("办理地点"), max_length=200)
    office_hours = models.CharField(_("办理时间"), max_length=200)
    consultation_phone = models.CharField(_("咨询电话"), max_length=40)
    complaint_phone = models.CharField(_("投诉电话"), max_length=40)
    availability = models.CharField(
        _("办理方式"), max_length=10, choices=Availability.choices, default=Availability.ONLINE
    )
    process_key = models.CharField(
        _("办理流程定义"), max_length=100, blank=True, help_text=_("流程引擎中处理该事项的流程定义标识")
    )
    certificate_kind = models.CharField(
        _("出具证明类型"),
        max_length=20,
        choices=CertificateKind.choices,
        blank=True,
        help_text=_("办结准予后，窗口据实有人口库打印的证明（如居住证明）；不出具证明的事项不选。"),
    )
    delivery_methods = models.JSONField(
        _("送达方式"),
        default=list,
        blank=True,
        help_text=_(
            "办结后有证照、证件等实物结果的事项选择：窗口领取、邮寄送达（免费）；只出具电子结果的不选。"
        ),
    )
    responsibility = models.TextField(_("责任事项"), blank=True, help_text=_("责任清单：承办机构的责任事项"))
    accountability = models.TextField(_("追责情形"), blank=True, help_text=_("责任清单：追责情形"))
    chief_representative = models.CharField(_("首席代表"), max_length=50, blank=True)
    publishes_result = models.BooleanField(_("办结后须公示"), default=False)
    is_published = models.BooleanField(_("已发布"), default=True)

    class Meta:
        verbose_name = _("服务事项")
        verbose_name_plural = _("服务事项")
        ordering = ["code"]
        permissions = [("publish_serviceitem", _("发布或撤回服务事项"))]
        constraints = [
            models.CheckConstraint(
                condition=Q(promised_limit_days__lte=models.F("statutory_limit_days")),
                name="catalog_promised_within_statutory",
                violation_error_message=_("承诺时限不能超过法定时限。"),
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_online(self) -> bool:
        return self.availability == Availability.ONLINE

    @property
    def apply_url(self) -> str:
        """Where residents apply online: the service hall's application page of this item
        (/hall/me/apply/<pk>/; it asks an anonymous visitor to sign in first)."""
        return reverse("applications:resident_apply", args=[self.pk])

    def life_event_labels(self) -> list[str]:
        labels = dict(LifeEvent.choices)
        return [str(labels.get(key, key)) for key in self.life_events or []]

    def delivery_method_labels(self) -> list[str]:
        labels = dict(DeliveryMethod.choices)
        return [str(labels.get(key, key)) for key in self.delivery_methods or []]

    def clean(self) -> None:
        if (
            self.promised_limit_days is not None
            and self.statutory_limit_days is not None
            and self.promised_limit_days > self.statutory_limit_days
        ):
            raise ValidationError({"promised_limit_days": _("承诺时限不能超过法定时限。")})


class Material(models.Model):
    """申请材料: one required document of a service item."""

    item = models.ForeignKey(
        ServiceItem, on_delete=models.CASCADE, related_name="materials", verbose_name=_("事项")
    )
    name = models.CharField(_("材料名称"), max_length=200)
    form = models.CharField(
        _("材料形式"), max_length=12, choices=MaterialForm.choices, default=MaterialForm.COPY
    )
    copies = models.PositiveSmallIntegerField(_("份数"), default=1)
    required = models.BooleanField(_("必须提交"), default=True)
    # 容缺受理: the window may accept without it when the applicant signs a commitment to supply it later.
    tolerable = models.BooleanField(
        _("可容缺"),
        default=False,
        help_text=_("必须提交的次要材料可勾选：缺少时窗口可凭申请人签署的承诺书先行受理，申请人限期补交。"),
    )
    note = models.CharField(_("说明"), max_length=300, blank=True)
    blank_form = models.FileField(_("空白表格"), upload_to="catalog/forms/", blank=True)
    sample = models.FileField(_("示例样表"), upload_to="catalog/samples/", blank=True)
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("申请材料")
        verbose_name_plural = _("申请材料")
        ordering = ["item", "sort_order", "id"]

    def __str__(self) -> str:
        return self.name


class Announcement(ScopedModel):
    """公告: outages, demolition, major events, exemplary people, policies; shown between its validity dates."""

    title = models.CharField(_("标题"), max_length=200)
    category = models.CharField(_("类别"), max_length=12, choices=AnnouncementCategory.choices)
    body = models.TextField(_("正文"))
    valid_from = models.DateField(_("生效日期"))
    valid_until = models.DateField(_("截止日期"), null=True, blank=True)
    is_published = models.BooleanField(_("已发布"), default=False)
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("公告")
        verbose_name_plural = _("公告")
        ordering = ["-valid_from", "-id"]
        permissions = [("publish_announcement", _("发布或撤回公告"))]

    def __str__(self) -> str:
        return self.title

    def is_current(self, today=None) -> bool:
        """Published and within its validity dates today."""
        from django.utils import timezone

        today = today or timezone.localdate()
        return (
            self.is_published
            and self.valid_from <= today
            and (self.valid_until is None or self.valid_until >= today)
        )
