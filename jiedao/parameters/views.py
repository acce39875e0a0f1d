"""系统参数 pages: every declared parameter grouped, and one form per parameter."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from jiedao.core.exceptions import PermissionDenied, ServiceError
from jiedao.core.scope import has_permission
from jiedao.core.views import ScopedViewMixin, ServiceFormView
from jiedao.parameters import services
from jiedao.parameters.forms import display_value, parameter_form_class
from jiedao.parameters.models import SystemParameter
from jiedao.parameters.registry import PARAMETERS, READ_PERMISSIONS, VIEW, ParameterSpec, groups

SCOPE_EXEMPT = "platform-wide settings; no org-scoped data"


class ParameterListView(ScopedViewMixin, TemplateView):
    scope_exempt = SCOPE_EXEMPT
    permission = VIEW
    template_name = "parameters/parameter_list.html"

    def required_permission(self) -> str:
        held = [perm for perm in READ_PERMISSIONS if has_permission(self.request.user, perm)]
        return held[0] if held else VIEW

    def get_context_data(self, **kwargs):
        stored = dict(SystemParameter.objects.values_list("key", "value"))
        user = self.request.user
        sections = []
        for group, specs in groups():
            rows = []
            for spec in specs:
                value = stored.get(spec.key, spec.default)
                rows.append(
                    {
                        "spec": spec,
                        "value": display_value(spec, value),
                        "default": display_value(spec, spec.default),
                        "overridden": spec.key in stored,
                        "can_edit": has_permission(user, spec.permission),
                    }
                )
            sections.append({"group": group, "rows": rows})
        return super().get_context_data(sections=sections, **kwargs)


class ParameterMixin:
    """The parameter named in the URL; its declaration says which permission may change it."""

    scope_exempt = SCOPE_EXEMPT

    def get_spec(self) -> ParameterSpec:
        spec = PARAMETERS.get(self.kwargs["key"])
        if spec is None:
            raise Http404(_("未知的系统参数。"))
        return spec

    def required_permission(self) -> str:
        return self.get_spec().permission


class ParameterEditView(ParameterMixin, ServiceFormView):
    template_name = "parameters/parameter_form.html"

    def get_form_class(self):
        return parameter_form_class(self.get_spec())

    def get_initial(self):
        spec = self.get_spec()
        return {spec.key: services.get_parameter(spec.key)}

    def get_context_data(self, **kwargs):
        spec = self.get_spec()
        return super().get_context_data(
            spec=spec,
            title=_("修改系统参数"),
            cancel_url=reverse("parameters:parameter_list"),
            overridden=services.parameter_overridden(spec.key),
            **kwargs,
        )

    def perform(self, form):
        spec = self.get_spec()
        self.saved_value = services.parameter_set(
            actor=self.request.user, key=spec.key, raw_value=form.raw_value
        )
        return self.saved_value

    @property
    def success_message(self) -> str:
        spec = self.get_spec()
        return _("“%(label)s”已设为 %(value)s。") % {
            "label": spec.label,
            "value": display_value(spec, self.saved_value),
        }

    def get_success_url(self, result=None):
        return reverse("parameters:parameter_list")


class ParameterResetView(ParameterMixin, ScopedViewMixin, View):
    http_method_names = ["post"]

    def post(self, request, key):
        spec = self.get_spec()
        try:
            value = services.parameter_reset(actor=request.user, key=spec.key)
        except PermissionDenied as error:
            raise DjangoPermissionDenied(str(error.message)) from None
        except ServiceError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request,
                _("“%(label)s”已恢复默认值 %(value)s。")
                % {"label": spec.label, "value": display_value(spec, value)},
            )
        return redirect("parameters:parameter_list")
