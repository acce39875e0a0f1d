"""Pages of the registry's large lists (1,000,000 persons in a district), read in two steps.

A page is read as its primary keys first, from the filtered and ordered queryset alone: the database walks
an index in list order (`registry_person_list` for persons) and never sorts the whole list or carries wide
rows, joins and per-row counts past the offset. Then the page's rows are read by those keys with whatever
the list shows besides its own columns (joined org and head, member or resident counts), for at most one
page of rows. A page in the second half of a list is read from its end in the reversed order, so the last
page of a district costs what the first does.

Both the staff lists (`RegistryListView`) and the API lists (`RegistryViewSet`) page this way.
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.paginator import Paginator
from django.db.models import QuerySet

RowsFor = Callable[[QuerySet], QuerySet]


def total_order(queryset: QuerySet) -> QuerySet:
    """The queryset in its own order with the primary key last, so that it can be read backwards exactly."""
    query = queryset.query
    ordering = list(query.order_by) if query.order_by else list(queryset.model._meta.ordering)
    names = {str(name).lstrip("-") for name in ordering}
    if names & {"pk", "id", queryset.model._meta.pk.name}:
        return queryset.order_by(*ordering)
    return queryset.order_by(*ordering, "pk")


# A list of at most this many rows (a search's matches, one colour of time limit) has its keys read whole.
SHORT_LIST = 2000


def page_keys(queryset: QuerySet, start: int, stop: int, count: int | None = None) -> list:
    """Primary keys of rows `start`..`stop` (0-based, stop excluded) of `queryset` in its order; with `count`
    (the number of rows), a slice nearer the end is read backwards from the end, and the keys of a short list
    are read whole and sliced here: given a LIMIT, the database may walk the list's order index hoping to meet
    the few matching rows early, and meet them last (a name searched among 300,000 applications: 85 ms,
    against 25 ms for finding and sorting them)."""
    keys = total_order(queryset).values_list("pk", flat=True)
    if count is not None and count <= SHORT_LIST:
        return list(keys)[start:stop]
    if count is not None and start > count - stop:
        found = list(keys.reverse()[max(count - stop, 0) : count - start])
        found.reverse()
        return found
    return list(keys[start:stop])


def rows_in_order(model, keys: list, rows_for: RowsFor | None = None) -> list:
    """The rows of `keys` (already read within the caller's scope), in that order, through `rows_for`."""
    if not keys:
        return []
    queryset = model._default_manager.filter(pk__in=keys)
    if rows_for is not None:
        queryset = rows_for(queryset)
    found = {row.pk: row for row in queryset.order_by()}
    return [found[key] for key in keys if key in found]


class LateRowPaginator(Paginator):
    """Django's paginator reading each page as keys then rows (see the module docstring).

    `object_list` is the filtered, ordered queryset (counted and keyed); `rows_for` adds to a queryset of one
    page's rows what the list shows (select_related, annotations, defer).
    """

    def __init__(self, object_list, per_page, orphans=0, allow_empty_first_page=True, *, rows_for=None):
        super().__init__(object_list, per_page, orphans, allow_empty_first_page)
        self.rows_for = rows_for

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        keys = page_keys(self.object_list, bottom, top, self.count)
        return self._get_page(rows_in_order(self.object_list.model, keys, self.rows_for), number, self)
