"""疑似重复人员: the pairs a clerk may merge, with a merge (choosing the record that stays) and a 非重复 decision."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from jiedao.core.exceptions import OutOfScope, ServiceError
from jiedao.core.views import ScopedViewMixin
from jiedao.registry.models import Person
from jiedao.registry.services import duplicates


class DuplicateListView(ScopedViewMixin, TemplateView):
    model = Person
    permission = duplicates.PERMISSION
    template_name = "registry/duplicates.html"

    def get_context_data(self, **kwargs):
        pairs, limited = duplicates.find_duplicates(self.request.user)
        return super().get_context_data(pairs=pairs, limited=limited, limit=duplicates.PAIR_LIMIT, **kwargs)


class DuplicateActionView(ScopedViewMixin, View):
    """POST a pair (`first`, `second`): `merge` with `keep` the id of the record that stays, or `dismiss`."""

    model = Person
    permission = duplicates.PERMISSION
    http_method_names = ["post"]

    def _person(self, name: str) -> Person:
        value = self.request.POST.get(name, "")
        if not value.isdigit():
            raise Http404
        return get_object_or_404(self.get_queryset(), pk=int(value))

    def post(self, request):
        first, second = self._person("first"), self._person("second")
        action = request.POST.get("action")
        try:
            if action == "dismiss":
                duplicates.dismiss_duplicate(actor=request.user, first=first, second=second)
                messages.success(
                    request, _("已确认 %(a)s 与 %(b)s 不是同一人。") % {"a": first.name, "b": second.name}
                )
            elif action == "merge":
                keep = request.POST.get("keep")
                if keep not in (str(first.pk), str(second.pk)):
                    messages.error(request, _("请选择要保留的记录。"))
                    return redirect("registry:person_duplicates")
                survivor, merged = (first, second) if keep == str(first.pk) else (second, first)
                duplicates.person_merge(actor=request.user, survivor=survivor, merged=merged)
                messages.success(
                    request,
                    _("已将 %(b)s 合并至 %(a)s。")
                    % {"a": duplicates.describe(survivor), "b": duplicates.describe(merged)},
                )
                return redirect("registry:person_detail", pk=survivor.pk)
            else:
                raise Http404
        except OutOfScope:
            raise Http404(_("未找到该记录，或该记录不在您的管辖范围内。")) from None
        except ServiceError as error:
            messages.error(request, error.message)
        return redirect("registry:person_duplicates")
