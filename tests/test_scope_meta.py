"""Meta-tests: nothing reaches org-scoped data around the one scope mechanism.

- Every model with a link to the org tree is scope-aware and its default manager has `visible_to`.
- Every URL served by the platform is a scoped base view / viewset, or says in `scope_exempt` why it
  serves no scoped data.
"""

from django.apps import apps
from django.urls import URLPattern, URLResolver, get_resolver

from jiedao.core.api.viewsets import ScopedViewSetMixin
from jiedao.core.scope import ScopeAware, ScopedQuerySet
from jiedao.core.views import ScopedViewMixin
from jiedao.orgs.models import OrgUnit


def _jiedao_models():
    return [m for m in apps.get_models() if m.__module__.startswith("jiedao.")]


def test_every_model_linked_to_the_org_tree_is_scoped():
    offenders = []
    for model in _jiedao_models():
        links = [
            f
            for f in model._meta.get_fields()
            if f.concrete and f.many_to_one and f.related_model is OrgUnit and f.name != "parent"
        ]
        if not links and model is not OrgUnit:
            continue
        manager_ok = isinstance(model._default_manager.all(), ScopedQuerySet)
        if not issubclass(model, ScopeAware) or not manager_ok:
            offenders.append(model._meta.label)
    assert offenders == [], f"models linked to OrgUnit without the scope mechanism: {offenders}"


def test_scope_org_field_of_every_scoped_model_leads_to_an_org_node():
    for model in _jiedao_models():
        if not issubclass(model, ScopeAware):
            continue
        path = model.scope_org_field.split("__")
        current = model
        for step in path[:-1]:
            current = current._meta.get_field(step).related_model
        last = path[-1]
        if last in ("id", "pk"):
            assert current is OrgUnit, model._meta.label
        else:
            assert current._meta.get_field(last).related_model is OrgUnit, model._meta.label


def _walk(patterns, prefix=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry.callback


def _view_of(callback):
    return getattr(callback, "view_class", None) or getattr(callback, "cls", None) or callback


def test_every_route_goes_through_the_scope_mechanism_or_says_why_not():
    offenders = []
    routes = list(_walk(get_resolver().url_patterns))
    assert len(routes) > 20
    for route, callback in routes:
        view = _view_of(callback)
        if not getattr(view, "__module__", "").startswith("jiedao.") and not getattr(
            view, "scope_exempt", ""
        ):
            offenders.append(f"{route} -> third-party view {view!r} without scope_exempt")
            continue
        scoped = isinstance(view, type) and issubclass(view, ScopedViewMixin | ScopedViewSetMixin)
        if not scoped and not getattr(view, "scope_exempt", ""):
            offenders.append(f"{route} -> {view.__module__}.{getattr(view, '__name__', view)}")
    assert offenders == [], "routes that bypass the scope mechanism:\n" + "\n".join(offenders)


def test_scoped_views_name_a_scope_aware_model():
    for _route, callback in _walk(get_resolver().url_patterns):
        view = _view_of(callback)
        model = getattr(view, "model", None)
        if (
            isinstance(view, type)
            and issubclass(view, ScopedViewMixin | ScopedViewSetMixin)
            and model is not None
        ):
            assert issubclass(model, ScopeAware), (
                f"{view.__name__} serves {model.__name__}, which is not scope-aware"
            )
