"""The one filter behind the audit log page, its Excel export and the API."""

from __future__ import annotations

import json
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from jiedao.audit.registry import choices
from jiedao.core.forms import StyledForm
from jiedao.orgs.models import OrgUnit

SHANGHAI = ZoneInfo("Asia/Shanghai")
VIEW_PERMISSION = "audit.view_auditevent"
RESULT_CHOICES = [("", _("全部")), ("success", _("成功")), ("failure", _("失败"))]
# Query parameters that choose a page, not what is shown.
PAGING_PARAMETERS = frozenset({"page", "limit", "offset", "format"})


class OrgChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: OrgUnit) -> str:
        return "\u3000" * max(obj.depth - 1, 0) + obj.name


class AuditFilterForm(StyledForm):
    date_from = forms.DateField(
        label=_("起始日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    date_to = forms.DateField(
        label=_("截止日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    actor = forms.CharField(label=_("操作人账号"), required=False, max_length=150)
    org = OrgChoiceField(
        label=_("组织（含下级）"), queryset=OrgUnit.objects.none(), required=False, empty_label=_("全部")
    )
    event_type = forms.ChoiceField(label=_("事件类型"), required=False)
    target_type = forms.CharField(label=_("对象类型"), required=False, max_length=80)
    target_id = forms.CharField(label=_("对象编号"), required=False, max_length=64)
    result = forms.ChoiceField(label=_("结果"), required=False, choices=RESULT_CHOICES)

    def __init__(self, data=None, *, user, **kwargs):
        super().__init__(data, **kwargs)
        self.fields["org"].queryset = OrgUnit.objects.visible_to(user, VIEW_PERMISSION).order_by("path")
        self.fields["event_type"].choices = [("", _("全部")), *choices()]

    def clean(self):
        cleaned = super().clean()
        date_from, date_to = cleaned.get("date_from"), cleaned.get("date_to")
        if date_from and date_to and date_from > date_to:
            self.add_error("date_to", _("截止日期不能早于起始日期。"))
        return cleaned

    def apply(self, queryset: QuerySet) -> QuerySet:
        """Narrow `queryset` by the valid filter. Dates are whole days in Beijing time, both ends included."""
        data = self.cleaned_data
        if data.get("date_from"):
            queryset = queryset.filter(
                created_at__gte=datetime.combine(data["date_from"], time.min, SHANGHAI)
            )
        if data.get("date_to"):
            end = datetime.combine(data["date_to"] + timedelta(days=1), time.min, SHANGHAI)
            queryset = queryset.filter(created_at__lt=end)
        if data.get("actor"):
            queryset = queryset.filter(actor_name=data["actor"].strip())
        if data.get("org") is not None:
            queryset = queryset.filter(org_id__in=OrgUnit.objects.subtree_ids([data["org"]]))
        if data.get("event_type"):
            queryset = queryset.filter(event_name=data["event_type"])
        if data.get("target_type"):
            queryset = queryset.filter(target_type=data["target_type"].strip())
        if data.get("target_id"):
            queryset = queryset.filter(target_id=data["target_id"].strip())
        if data.get("result"):
            queryset = queryset.filter(success=data["result"] == "success")
        return queryset

    def describe(self) -> dict[str, Any]:
        """The filter in use, as JSON-able values, for the audit record of a view or an export."""
        described: dict[str, Any] = {}
        for name, value in self.cleaned_data.items():
            if value in (None, ""):
                continue
            if name == "org":
                described["org"] = value.pk
                described["org_name"] = value.name
            elif hasattr(value, "isoformat"):
                described[name] = value.isoformat()
            else:
                described[name] = str(value).strip()
        return described

    def signature(self) -> str:
        return json.dumps(self.describe(), sort_keys=True, ensure_ascii=False)
