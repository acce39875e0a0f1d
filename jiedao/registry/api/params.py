"""Query parameters of the registry lists: parsing into typed values (Chinese field errors) and their
OpenAPI descriptions, plus the documented error responses shared by every endpoint."""

from __future__ import annotations

import datetime

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse

from jiedao.core.exceptions import ValidationFailed
from jiedao.orgs.models import OrgUnit
from jiedao.orgs.selectors import node_in_scope
from jiedao.registry.api.fields import RegistryErrorSerializer

TRUE_VALUES = {"1", "true", "yes", "是"}
FALSE_VALUES = {"0", "false", "no", "否"}


class QueryParams:
    """Reads `request.query_params`, collecting every error before raising one `ValidationFailed`."""

    def __init__(self, request, permission: str):
        self.raw = request.query_params
        self.user = request.user
        self.permission = permission
        self.errors: dict[str, list[str]] = {}

    def text(self, name: str) -> str:
        return (self.raw.get(name) or "").strip()

    def search(self, name: str = "q") -> str:
        """The list's search term `name`, or `search` as DRF's SearchFilter calls it (`name` wins)."""
        return self.text(name) or self.text(SEARCH)

    def texts(self, name: str) -> list[str]:
        return [value.strip() for value in self.raw.getlist(name) if value.strip()]

    def integer(self, name: str, *, minimum: int = 0, maximum: int = 100_000) -> int | None:
        value = self.text(name)
        if not value:
            return None
        if not value.isdigit() or not minimum <= int(value) <= maximum:
            self.errors[name] = [_("应为 %(min)d 到 %(max)d 之间的整数。") % {"min": minimum, "max": maximum}]
            return None
        return int(value)

    def date(self, name: str) -> datetime.date | None:
        value = self.text(name)
        if not value:
            return None
        try:
            return datetime.date.fromisoformat(value)
        except ValueError:
            self.errors[name] = [_("应为 YYYY-MM-DD 格式的日期，如 2026-12-01。")]
            return None

    def boolean(self, name: str) -> bool | None:
        value = self.text(name).lower()
        if not value:
            return None
        if value in TRUE_VALUES:
            return True
        if value in FALSE_VALUES:
            return False
        self.errors[name] = [_("应为 true 或 false。")]
        return None

    def choice(self, name: str, values) -> str:
        value = self.text(name)
        if value and value not in values:
            self.errors[name] = [
                _("“%(value)s”不是有效的选项，可选：%(choices)s。")
                % {"value": value[:30], "choices": "、".join(values)}
            ]
            return ""
        return value

    def choices(self, name: str, values) -> list[str]:
        """A repeatable parameter (`?tag=a&tag=b`) whose every value must be one of `values`."""
        chosen = self.texts(name)
        wrong = [value for value in chosen if value not in values]
        if wrong:
            self.errors[name] = [
                _("“%(value)s”不是有效的选项，可选：%(choices)s。")
                % {"value": wrong[0][:30], "choices": "、".join(values)}
            ]
        return [value for value in chosen if value in values]

    def org(self, name: str = "org") -> OrgUnit | None:
        """An org node by id, among the nodes the list's permission reaches (so nothing else is probed)."""
        pk = self.integer(name, minimum=1, maximum=2**31 - 1)
        if pk is None:
            return None
        found, error = node_in_scope(self.user, self.permission, pk)
        if error:
            self.errors[name] = [error]
        return found

    def check(self) -> None:
        if self.errors:
            raise ValidationFailed(self.errors)


def _error(description: str) -> OpenApiResponse:
    return OpenApiResponse(response=RegistryErrorSerializer, description=description)


INVALID = _error("输入有误：`errors` 按字段列出中文错误信息，未写入任何数据。")
FORBIDDEN = _error("没有该操作所需的权限。")
NOT_FOUND = _error("记录不存在，或不在您的管辖范围内（请求体中引用的组织、房屋、人员等同样如此）。")
READ_ERRORS = {403: FORBIDDEN, 404: NOT_FOUND}
LIST_ERRORS = {400: INVALID, 403: FORBIDDEN}
WRITE_ERRORS = {400: INVALID, 403: FORBIDDEN, 404: NOT_FOUND}
CONFLICT = _error(
    "记录已被他人修改（code 为 conflict）：请求中的 updated_at 与当前记录不一致，请重新读取后再修改。"
)
EDIT_ERRORS = {**WRITE_ERRORS, 409: CONFLICT}

SEARCH = "search"


def search_parameter(name: str = "q") -> OpenApiParameter:
    """`search`, the other name of a list's search term `name`."""
    return OpenApiParameter(
        SEARCH, OpenApiTypes.STR, description=f"同 {name}（DRF 惯用的参数名）；两者都给时以 {name} 为准"
    )


ORG_PARAMETER = OpenApiParameter(
    "org", OpenApiTypes.INT, description="组织节点编号（须在您的管辖范围内），含其全部下级"
)
ID_PATH = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="记录编号")
