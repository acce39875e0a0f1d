from django.db import models
from django.utils.translation import gettext_lazy as _


class ItemKind(models.TextChoices):
    INSTANT = "instant", _("即办件")
    PROMISED = "promised", _("承诺件")
    REFERRED = "referred", _("上报件")


class CertificateKind(models.TextChoices):
    """The certificate the window prints, filled from the registry, when an application of the item is
    concluded as approved (`jiedao.applications.certificates`)."""

    RESIDENCE = "residence", _("居住证明")


class DeliveryMethod(models.TextChoices):
    """送达方式: how the applicant receives the result (a certificate, a card, a decision in writing)."""

    WINDOW = "window", _("窗口领取")
    MAIL = "mail", _("邮寄送达")


class Audience(models.TextChoices):
    PERSON = "person", _("个人")
    ENTERPRISE = "enterprise", _("企业")
    BOTH = "both", _("个人和企业")


class Availability(models.TextChoices):
    ONLINE = "online", _("可网上申请")
    OFFLINE = "offline", _("仅窗口办理")


class PowerType(models.TextChoices):
    """Categories of administrative power used by power lists (权力清单)."""

    LICENSING = "licensing", _("行政许可")
    BENEFIT = "benefit", _("行政给付")
    CONFIRMATION = "confirmation", _("行政确认")
    PUBLIC_SERVICE = "public_service", _("公共服务")
    OTHER = "other", _("其他行政权力")


class MaterialForm(models.TextChoices):
    ORIGINAL = "original", _("原件")
    COPY = "copy", _("复印件")
    ORIGINAL_AND_COPY = "both", _("原件和复印件")
    ELECTRONIC = "electronic", _("电子材料")


class AnnouncementCategory(models.TextChoices):
    OUTAGE = "outage", _("停水停电")
    DEMOLITION = "demolition", _("拆迁公告")
    EVENT = "event", _("重大活动")
    EXEMPLARY = "exemplary", _("先进典型")
    POLICY = "policy", _("政策法规")
    SERVICE = "service", _("服务信息")


class LifeEvent(models.TextChoices):
    """人生事件: how residents browse the catalog (by what is happening in their life)."""

    BIRTH = "birth", _("生育")
    SCHOOL = "school", _("入学")
    EMPLOYMENT = "employment", _("就业")
    MARRIAGE = "marriage", _("婚姻")
    ELDERLY = "elderly", _("养老")
    DISABILITY = "disability", _("残疾")
    HARDSHIP = "hardship", _("困难救助")
    BUSINESS = "business", _("创业")
    HOUSING = "housing", _("居住")
    HEALTH = "health", _("医疗健康")
    VETERAN = "veteran", _("优抚安置")
    COMMUNITY = "community", _("社区参与")
