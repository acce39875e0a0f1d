"""The project's list pagination: `?limit=&offset=` with a ceiling on `limit`.

Without a ceiling, `?limit=100000` handed a whole community's (or district's) personal data to one request,
outside the audited export. A larger `limit` is cut to `max_limit` (DRF's behaviour; `next` still leads on),
and bulk extraction goes through the staff export, which is audited.
"""

from __future__ import annotations

from rest_framework.pagination import LimitOffsetPagination


class Pagination(LimitOffsetPagination):
    max_limit = 200

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        descriptions = {
            self.limit_query_param: f"每页条数，默认 {self.default_limit}，最多 {self.max_limit}（更大的值按 "
            f"{self.max_limit} 处理）。批量导出请使用工作台的导出功能（记入审计日志）。",
            self.offset_query_param: "从第几条开始（从 0 起），配合 limit 翻页；也可直接请求响应中的 next。",
        }
        for parameter in parameters:
            if parameter["name"] in descriptions:
                parameter["description"] = descriptions[parameter["name"]]
        return parameters
