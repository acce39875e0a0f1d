"""Staff pages of the import engine: the job list, a job with its polled progress, the upload form, the
error workbook and template downloads."""

from __future__ import annotations

import os

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from jiedao.audit import services as audit
from jiedao.core.exceptions import ServiceError
from jiedao.core.i18n import records_language
from jiedao.core.scope import has_permission, require
from jiedao.core.views import ScopedDetailView, ScopedListView, ScopedViewMixin, ServiceFormView
from jiedao.orgs.models import OrgUnit
from jiedao.spreadsheets import services
from jiedao.spreadsheets.audit_events import IMPORT_ERRORS_DOWNLOADED
from jiedao.spreadsheets.exporters import XLSX_CONTENT_TYPE, content_disposition, file_response
from jiedao.spreadsheets.forms import ImportUploadForm
from jiedao.spreadsheets.models import ImportJob
from jiedao.spreadsheets.specs import all_specs, find_spec

ERRORS_ON_PAGE = 100


def importable_specs(user) -> list:
    return [spec for spec in all_specs() if has_permission(user, spec.permission)]


class ImportJobListView(ScopedListView):
    model = ImportJob
    template_name = "spreadsheets/importjob_list.html"
    paginate_by = 30

    def get_queryset(self):
        return super().get_queryset().select_related("org", "created_by").order_by("-created_at", "-id")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        jobs = context["object_list"]
        for job in jobs:
            spec = find_spec(job.spec_key)
            job.spec_label = spec.label if spec else job.spec_key
        context["specs"] = importable_specs(self.request.user)
        return context


class ImportJobMixin:
    """A job in the user's view scope whose records the user may also import (its errors show their
    contents); anything else is “not found”."""

    model = ImportJob

    def get_object(self, queryset=None):
        queryset = self.get_queryset() if queryset is None else queryset
        job = get_object_or_404(queryset.select_related("org", "created_by"), pk=self.kwargs["pk"])
        spec = find_spec(job.spec_key)
        if spec is not None:
            try:
                require(self.request.user, spec.permission, job)
            except ServiceError:
                raise Http404(_("未找到该记录，或该记录不在您的管辖范围内。")) from None
        job.spec = spec
        job.spec_label = spec.label if spec else job.spec_key
        return job


class ImportJobDetailView(ImportJobMixin, ScopedDetailView):
    template_name = "spreadsheets/importjob_detail.html"
    context_object_name = "job"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        job = self.object
        context.update(
            errors=job.row_errors.all()[:ERRORS_ON_PAGE],
            errors_shown=ERRORS_ON_PAGE,
            errors_truncated=job.issue_count >= services.max_stored_issues(),
            can_resume=job.spec is not None and services.can_resume(job),
            stalled=services.is_stalled(job),
        )
        return context


class ImportJobProgressView(ImportJobMixin, ScopedDetailView):
    """The progress fragment the detail page polls every 2 s while the job is queued or running. Once the
    job has ended, or has stalled (its worker was killed: it may be resumed by hand), the answer asks htmx to
    reload the whole page (errors, download links, the resume button); a stalled page polls no more."""

    template_name = "spreadsheets/_progress.html"
    context_object_name = "job"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["stalled"] = services.is_stalled(self.object)
        return context

    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        stalled = response.context_data["stalled"]
        if getattr(request, "htmx", False) and (not self.object.is_active or stalled):
            response["HX-Refresh"] = "true"
        return response


class ImportJobErrorsView(ImportJobMixin, ScopedViewMixin, View):
    def get(self, request, pk):
        job = self.get_object()
        path = services.error_workbook(job)
        with records_language():
            audit.record(
                IMPORT_ERRORS_DOWNLOADED,
                actor=request.user,
                target=job,
                message=_("共 %(n)d 条错误") % {"n": job.issue_count},
            )
        stem = os.path.splitext(job.original_name)[0] or _("导入")
        return file_response(path, _("%(name)s-错误报告.xlsx") % {"name": stem})


class ImportJobActionView(ImportJobMixin, ScopedViewMixin, View):
    http_method_names = ["post"]
    action = None
    done_message = ""

    def post(self, request, pk):
        job = self.get_object()
        try:
            self.action(actor=request.user, job=job)
        except ServiceError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, self.done_message)
        return redirect("spreadsheets:importjob_detail", pk=job.pk)


class ImportJobCancelView(ImportJobActionView):
    action = staticmethod(services.import_cancel)
    done_message = gettext_lazy("已取消导入；已提交的数据保留。")


class ImportJobResumeView(ImportJobActionView):
    action = staticmethod(services.import_resume)
    done_message = gettext_lazy("已重新排队，将从中断处继续导入。")


class SpecViewMixin(ScopedViewMixin):
    """Pages about one import spec: require the spec's own permission."""

    def get_spec(self):
        if not hasattr(self, "_spec"):
            self._spec = find_spec(self.kwargs["spec_key"])
            if self._spec is None:
                raise Http404(_("未知的导入类型。"))
        return self._spec

    def required_permission(self) -> str:
        return self.get_spec().permission


class ImportTemplateView(SpecViewMixin, View):
    def get(self, request, spec_key):
        spec = self.get_spec()
        response = HttpResponse(services.template_workbook(spec), content_type=XLSX_CONTENT_TYPE)
        response["Content-Disposition"] = content_disposition(
            _("%(label)s导入模板.xlsx") % {"label": spec.label}
        )
        response["X-Content-Type-Options"] = "nosniff"
        return response


class ImportStartView(SpecViewMixin, ServiceFormView):
    form_class = ImportUploadForm
    template_name = "spreadsheets/import_form.html"

    def target_orgs(self):
        spec = self.get_spec()
        return (
            OrgUnit.objects.visible_to(self.request.user, spec.permission)
            .filter(is_active=True, level__in=spec.org_levels)
            .order_by("path")
        )

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "orgs": self.target_orgs()}

    def get_context_data(self, **kwargs):
        spec = self.get_spec()
        return super().get_context_data(spec=spec, title=_("导入%(label)s") % {"label": spec.label}, **kwargs)

    def perform(self, form):
        return services.import_start(
            actor=self.request.user,
            spec_key=self.get_spec().key,
            org=form.cleaned_data["org"],
            uploaded_file=form.cleaned_data["file"],
        )

    def get_success_url(self, result=None):
        return reverse("spreadsheets:importjob_detail", args=[result.pk])
