from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from jiedao.core.exceptions import ServiceError
from jiedao.core.views import ScopedListView, ScopedViewMixin, ServiceFormView
from jiedao.orgs import services
from jiedao.orgs.forms import OrgUnitCreateForm, OrgUnitForm, OrgUnitMoveForm
from jiedao.orgs.models import OrgUnit


class OrgUnitTreeView(ScopedListView):
    model = OrgUnit
    template_name = "orgs/orgunit_tree.html"
    paginate_by = None

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        nodes = list(self.object_list.order_by("path"))
        children: dict[int | None, list] = {}
        ids = {n.pk for n in nodes}
        for node in nodes:
            parent = node.parent_id if node.parent_id in ids else None
            children.setdefault(parent, []).append(node)

        def build(parent_id):
            return [
                {"node": n, "children": build(n.pk)}
                for n in sorted(children.get(parent_id, []), key=lambda n: (n.sort_order, n.path))
            ]

        context["tree"] = build(None)
        return context


class OrgUnitNodeMixin:
    def get_node(self) -> OrgUnit:
        return get_object_or_404(
            OrgUnit.objects.visible_to(self.request.user, self.required_permission()), pk=self.kwargs["pk"]
        )

    def get_success_url(self, result=None):
        return reverse("orgs:orgunit_tree")


class OrgUnitCreateView(OrgUnitNodeMixin, ServiceFormView):
    model = OrgUnit
    permission = "add"
    form_class = OrgUnitCreateForm
    template_name = "orgs/orgunit_form.html"
    success_message = gettext_lazy("组织节点已创建。")

    def get_parent(self):
        if "pk" not in self.kwargs:
            return None
        return self.get_node()

    def get_initial(self):
        parent = self.get_parent()
        return {
            "level": parent.level + 1 if parent else 1,
            "division_code": parent.division_code[:9] if parent else "",
        }

    def get_form_kwargs(self):
        parent = self.get_parent()
        return {**super().get_form_kwargs(), "inherited": parent.remedy_bodies() if parent else None}

    def get_context_data(self, **kwargs):
        return super().get_context_data(parent=self.get_parent(), title=_("新建组织节点"), **kwargs)

    def perform(self, form):
        data = form.cleaned_data
        return services.org_create(
            actor=self.request.user,
            name=data["name"],
            level=data["level"],
            division_code=data["division_code"],
            parent=self.get_parent(),
            sort_order=data.get("sort_order") or 0,
            reconsideration_body=data["reconsideration_body"],
            litigation_court=data["litigation_court"],
        )


class OrgUnitEditView(OrgUnitNodeMixin, ServiceFormView):
    model = OrgUnit
    permission = "change"
    form_class = OrgUnitForm
    template_name = "orgs/orgunit_form.html"
    success_message = gettext_lazy("组织节点已保存。")

    def get_initial(self):
        node = self.get_node()
        return {
            "name": node.name,
            "division_code": node.division_code,
            "sort_order": node.sort_order,
            "reconsideration_body": node.reconsideration_body,
            "litigation_court": node.litigation_court,
        }

    def get_form_kwargs(self):
        parent = self.get_node().parent
        return {**super().get_form_kwargs(), "inherited": parent.remedy_bodies() if parent else None}

    def get_context_data(self, **kwargs):
        return super().get_context_data(node=self.get_node(), title=_("修改组织节点"), **kwargs)

    def perform(self, form):
        data = form.cleaned_data
        return services.org_rename(
            actor=self.request.user,
            node=self.get_node(),
            name=data["name"],
            division_code=data["division_code"],
            sort_order=data.get("sort_order"),
            reconsideration_body=data["reconsideration_body"],
            litigation_court=data["litigation_court"],
        )


class OrgUnitMoveView(OrgUnitNodeMixin, ServiceFormView):
    model = OrgUnit
    permission = "move"
    form_class = OrgUnitMoveForm
    template_name = "orgs/orgunit_form.html"
    success_message = gettext_lazy("组织节点已移动。")

    def get_form_kwargs(self):
        node = self.get_node()
        parents = (
            OrgUnit.objects.visible_to(self.request.user, "orgs.move_orgunit")
            .filter(level=node.level - 1, is_active=True)
            .exclude(pk=node.parent_id)
        )
        return {**super().get_form_kwargs(), "parents": parents}

    def get_context_data(self, **kwargs):
        return super().get_context_data(node=self.get_node(), title=_("移动组织节点"), **kwargs)

    def perform(self, form):
        return services.org_move(
            actor=self.request.user,
            node=self.get_node(),
            new_parent=form.cleaned_data["new_parent"],
            division_code=form.cleaned_data["division_code"] or None,
        )


class OrgUnitActivationView(OrgUnitNodeMixin, ScopedViewMixin, View):
    model = OrgUnit
    permission = "deactivate"
    http_method_names = ["post"]

    def post(self, request, pk):
        node = self.get_node()
        try:
            services.org_set_active(actor=request.user, node=node, active=request.POST.get("active") == "1")
        except ServiceError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request,
                _("已启用“%(n)s”。") % {"n": node.name}
                if node.is_active
                else _("已停用“%(n)s”及其下级。") % {"n": node.name},
            )
        return redirect("orgs:orgunit_tree")


class OrgUnitDeleteView(OrgUnitNodeMixin, ScopedViewMixin, View):
    model = OrgUnit
    permission = "delete"
    http_method_names = ["post"]

    def post(self, request, pk):
        node = self.get_node()
        try:
            services.org_delete(actor=request.user, node=node)
        except ServiceError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("组织节点已删除。"))
        return redirect("orgs:orgunit_tree")
