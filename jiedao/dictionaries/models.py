"""Code tables (数据字典): national standards such as GB/T 3304 民族, plus the platform's own lists.

Records elsewhere store an item's `code` (a string, e.g. "01"), never its id, so an item is never
deleted: it is deactivated, disappears from choice lists, and its label still resolves.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class DictionaryType(models.Model):
    code = models.SlugField(_("字典代码"), max_length=50, unique=True)
    name = models.CharField(_("字典名称"), max_length=100)
    standard = models.CharField(_("依据标准"), max_length=100, blank=True)
    description = models.TextField(_("说明"), blank=True)
    is_builtin = models.BooleanField(_("内置"), default=False)
    sort_order = models.PositiveIntegerField(_("排序"), default=0)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("字典类型")
        verbose_name_plural = _("字典类型")
        ordering = ["sort_order", "code"]
        default_permissions = ("view",)

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"


class DictionaryItem(models.Model):
    type = models.ForeignKey(
        DictionaryType, on_delete=models.PROTECT, related_name="items", verbose_name=_("字典类型")
    )
    code = models.CharField(_("代码"), max_length=32)
    name = models.CharField(_("名称"), max_length=100)
    abbreviation = models.CharField(
        _("简称或字母代码"),
        max_length=50,
        blank=True,
        help_text=_("如民族的字母代码 HA、政治面貌的简称“中共党员”。"),
    )
    extra = models.JSONField(_("附加信息"), default=dict, blank=True)
    sort_order = models.PositiveIntegerField(_("排序"), default=0)
    is_active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("字典项")
        verbose_name_plural = _("字典项")
        ordering = ["type", "sort_order", "code"]
        # No delete permission: items are deactivated, never removed.
        default_permissions = ("add", "change", "view")
        constraints = [models.UniqueConstraint(fields=["type", "code"], name="dictionaries_item_unique_code")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"
