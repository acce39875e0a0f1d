from django.utils.translation import gettext_lazy as _

from jiedao.audit.registry import detail_labels, event_type

IMPORT_STARTED = event_type(1901, "spreadsheets.import.started", _("发起表格导入"))
IMPORT_FINISHED = event_type(1902, "spreadsheets.import.finished", _("表格导入完成"))
IMPORT_FAILED = event_type(1903, "spreadsheets.import.failed", _("表格导入失败"))
IMPORT_CANCELLED = event_type(1904, "spreadsheets.import.cancelled", _("取消表格导入"))
IMPORT_RESUMED = event_type(1905, "spreadsheets.import.resumed", _("继续表格导入"))
IMPORT_ERRORS_DOWNLOADED = event_type(1906, "spreadsheets.import.errors_downloaded", _("下载导入错误报告"))
IMPORT_FILES_PURGED = event_type(1907, "spreadsheets.import.files_purged", _("清理过期的导入文件"))

detail_labels("spreadsheets", spec=_("导入类型"), format=_("文件格式"), size=_("文件大小"))
