from django.db import models
from django.utils.translation import gettext_lazy as _


class IdKind(models.TextChoices):
    CITIZEN = "citizen", _("居民身份证")
    HK_MACAO_PERMIT = "hk_macao_permit", _("港澳居民居住证")
    TAIWAN_PERMIT = "taiwan_permit", _("台湾居民居住证")
    FOREIGN_PERMANENT = "foreign_permanent", _("外国人永久居留身份证")


class PersonStatus(models.TextChoices):
    LIVING = "living", _("现居住")
    MOVED_OUT = "moved_out", _("已迁出")
    DECEASED = "deceased", _("已死亡")
    # a duplicate record merged into another one (`Person.merged_into`); kept so old links stay readable
    MERGED = "merged", _("已合并")


class HouseRelation(models.TextChoices):
    OWNER = "owner", _("产权人")
    FAMILY = "family", _("家庭成员")
    TENANT = "tenant", _("承租人")
    COLLECTIVE = "collective", _("集体居住")
    OTHER = "other", _("其他")


class HouseholdKind(models.TextChoices):
    FAMILY = "1", _("家庭户")
    COLLECTIVE = "2", _("集体户")


class HouseUse(models.TextChoices):
    RESIDENTIAL = "residential", _("住宅")
    COMMERCIAL = "commercial", _("商业")
    MIXED = "mixed", _("商住混合")
    RENTAL = "rental", _("出租")


class Ownership(models.TextChoices):
    PRIVATE = "private", _("私有")
    PUBLIC = "public", _("公房")
    COLLECTIVE = "collective", _("集体")
    ENTERPRISE = "enterprise", _("单位")
    OTHER = "other", _("其他")


class CoordinateSystem(models.TextChoices):
    WGS84 = "wgs84", _("WGS-84（GPS）")
    GCJ02 = "gcj02", _("GCJ-02（国测局）")


class EnterpriseStatus(models.TextChoices):
    OPERATING = "operating", _("在营")
    SUSPENDED = "suspended", _("停业")
    MOVED_OUT = "moved_out", _("迁出")
    DEREGISTERED = "deregistered", _("注销")


class LifeEventKind(models.TextChoices):
    REGISTERED = "registered", _("登记")
    BIRTH = "birth", _("出生")
    DEATH = "death", _("死亡")
    MOVE_IN = "move_in", _("迁入")
    MOVE_OUT = "move_out", _("迁出")
    HOUSEHOLD_SPLIT = "household_split", _("分户")
    HOUSEHOLD_MERGE = "household_merge", _("并户")
    HOUSEHOLD_JOIN = "household_join", _("入户")
    HOUSEHOLD_LEAVE = "household_leave", _("出户")
    HEAD_CHANGE = "head_change", _("变更户主")
    ADDRESS_CHANGE = "address_change", _("地址变更")
    TAG_ADDED = "tag_added", _("标记特殊人群")
    TAG_ENDED = "tag_ended", _("解除特殊人群标记")
    UPDATED = "updated", _("信息修改")
    PERSON_MERGED = "person_merged", _("合并重复人员")


class VisitResult(models.TextChoices):
    """What a 网格员 found at the door (入户走访核查)."""

    CONFIRMED = "confirmed", _("信息属实")
    CORRECTED = "corrected", _("信息有变更（已更正）")
    SEPARATED = "separated", _("人户分离")
    VACANT = "vacant", _("房屋空置")
    NO_ANSWER = "no_answer", _("无人应门（需再访）")
    REFUSED = "refused", _("拒绝配合")

    @classmethod
    def label_of(cls, code: str | None) -> str:
        """The label of a stored finding; a code no longer among the choices (an old import) is shown as it is."""
        if not code:
            return ""
        return str(cls(code).label) if code in cls.values else code


class StatisticsKind(models.TextChoices):
    """What one row of a statistics snapshot counts (its `key` says which bucket)."""

    PERSON = "person", _("现居住人口")  # key "band:gender"
    MIGRANT = "migrant", _("流动人口")  # key: origin province (two digits, or empty)
    HOUSEHOLD = "household", _("户")  # key: size bucket 1…6 (6 = six or more)
    TAG = "tag", _("特殊人群")  # key: the group code
    ENTERPRISE = "enterprise", _("在营企业")  # key empty
    RESIDENCE = "residence", _("人户状态")  # key: a ResidenceSplit value


class ResidenceSplit(models.TextChoices):
    """人户分离: how a living person's household registration (户籍) and residence stand in the community they
    belong to (see `PersonQuerySet.residence_split`)."""

    CONSISTENT = "consistent", _("人户一致")
    AWAY = "away", _("户在人不在")
    ELSEWHERE = "elsewhere", _("人在户不在")
