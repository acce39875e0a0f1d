from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from jiedao.core.scope import ScopedModel


class ImportStatus(models.TextChoices):
    PENDING = "pending", _("排队中")
    RUNNING = "running", _("导入中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")
    CANCELLED = "cancelled", _("已取消")


ACTIVE_STATUSES = (ImportStatus.PENDING, ImportStatus.RUNNING)


class ImportJob(ScopedModel):
    """One uploaded spreadsheet being imported by a spec into one org node.

    `resume_after_row` is the last spreadsheet row whose batch is committed: a run that dies leaves the job
    resumable from the row after it.
    """

    spec_key = models.CharField(_("导入类型"), max_length=50, db_index=True)
    original_name = models.CharField(_("文件名"), max_length=255)
    stored_file = models.CharField(_("存储文件"), max_length=255, blank=True, editable=False)
    file_format = models.CharField(_("文件格式"), max_length=8, blank=True)
    file_size = models.PositiveBigIntegerField(_("文件大小"), default=0)
    # SHA-256 of the uploaded file: the same file is not imported twice at once
    file_digest = models.CharField(_("文件摘要"), max_length=64, blank=True, editable=False)
    status = models.CharField(
        _("状态"), max_length=10, choices=ImportStatus.choices, default=ImportStatus.PENDING, db_index=True
    )
    header_row = models.PositiveIntegerField(_("表头行"), default=0)
    total_rows = models.PositiveIntegerField(_("总行数"), null=True, blank=True)
    rows_processed = models.PositiveIntegerField(_("已处理行数"), default=0)
    created_count = models.PositiveIntegerField(_("新增"), default=0)
    updated_count = models.PositiveIntegerField(_("更新"), default=0)
    error_count = models.PositiveIntegerField(_("错误行数"), default=0)
    issue_count = models.PositiveIntegerField(_("已记录错误条数"), default=0)
    # rows left as the template's grey example (`ImportSpec.is_template_example`): skipped, not errors
    example_count = models.PositiveIntegerField(_("已跳过示例行"), default=0)
    resume_after_row = models.PositiveIntegerField(_("已提交至行"), default=0)
    run_token = models.CharField(max_length=32, blank=True, editable=False)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    failure_message = models.TextField(_("失败原因"), blank=True)

    class Meta:
        verbose_name = _("导入任务")
        verbose_name_plural = _("导入任务")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["org", "-created_at"], name="spreadsheets_job_org_created")]

    def __str__(self) -> str:
        from jiedao.spreadsheets.specs import find_spec

        spec = find_spec(self.spec_key)
        return f"{spec.label if spec else self.spec_key}：{self.original_name}"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def rows_done(self) -> int:
        """Spreadsheet rows below the header that are committed (blank ones included)."""
        return max(0, self.resume_after_row - self.header_row) if self.resume_after_row else 0

    @property
    def percent(self) -> int | None:
        if self.status == ImportStatus.DONE:
            return 100
        if not self.total_rows:
            return None
        return min(100, int(self.rows_done * 100 / self.total_rows))


class ImportRowError(models.Model):
    """One reason a row was refused. Reached only through its job (which carries the scope)."""

    job = models.ForeignKey(
        ImportJob, on_delete=models.CASCADE, related_name="row_errors", verbose_name=_("导入任务")
    )
    row_number = models.PositiveIntegerField(_("行号"))
    column = models.CharField(_("列名"), max_length=100, blank=True)
    column_letter = models.CharField(_("列号"), max_length=4, blank=True)
    value = models.CharField(_("内容"), max_length=200, blank=True)
    message = models.CharField(_("错误原因"), max_length=300)

    class Meta:
        verbose_name = _("导入错误")
        verbose_name_plural = _("导入错误")
        ordering = ["row_number", "id"]
        indexes = [models.Index(fields=["job", "row_number"], name="spreadsheets_error_job_row")]

    def __str__(self) -> str:
        return f"第 {self.row_number} 行：{self.message}"
