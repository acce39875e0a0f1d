"""Import specs: what one kind of record (persons, households, houses, enterprises…) needs from a spreadsheet.

An app describes its import by subclassing `ImportSpec` and registering an instance, usually in its own
`import_specs.py` (found by `SpreadsheetsConfig.ready()` for every `jiedao.*` app):

    @register_spec
    class PersonImport(ImportSpec):
        key = "registry-person"
        label = _("实有人口")
        permission = "registry.add_person"
        columns = (
            Column("name", _("姓名"), required=True, example="张三"),
            Column("id_number", _("身份证号"), aliases=("公民身份号码", "证件号码"), required=True, text=True,
                   help=_("18 位居民身份证号码"), example="110105199001011234"),
            Column("birth_date", _("出生日期"), help=_("如 1990-01-01 或 1990年1月1日")),
        )
        natural_key_columns = ("id_number",)

        def validate_row(self, values, context): ...   # → ValidatedRow or [RowIssue, …]
        def natural_key(self, row): return row.data["id_number"]
        def save_batch(self, rows, context): ...        # → (created, updated), an idempotent upsert

The engine streams the file, finds the header row, skips blank rows, checks required cells, calls
`validate_row` for each row, reports a second occurrence of a natural key as “与第 N 行重复”, and hands
valid rows to `save_batch` in batches of `batch_size`, each batch in one transaction with the job's
progress. `save_batch` MUST be an idempotent upsert keyed on the natural key: a job resumed after a crash
re-sends nothing that was committed, but a user re-importing the same file (or the operator re-running a job
from the start) must update the existing records, never duplicate them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.utils.functional import Promise
from django.utils.translation import gettext as _

from jiedao.core.exceptions import ServiceError
from jiedao.orgs.choices import OrgLevel

if TYPE_CHECKING:
    from jiedao.orgs.models import OrgUnit
    from jiedao.spreadsheets.models import ImportJob

SPEC_KEY = re.compile(r"^[a-z0-9][a-z0-9_-]{0,49}$")


@dataclass(frozen=True)
class Column:
    """One column of an import.

    `header` is what the template shows; `aliases` are other headers that mean the same column (compared
    after normalising: no blanks, full-width → half-width, no “*”, no bracketed note). `text` marks an
    identifier (ID number, phone, household number): the template formats the column as text so Excel keeps
    every digit. `example` goes into the template's example row; `help` into the header's comment. `choices`
    (a callable, evaluated when a template is built) gives the values a closed column takes — a dictionary's
    names, a choice's labels: the template offers them in a drop-down list.
    """

    key: str
    header: str | Promise
    aliases: tuple[str | Promise, ...] = ()
    required: bool = False
    help: str | Promise = ""
    example: Any = ""
    text: bool = False
    width: int = 16
    choices: Callable[[], Sequence[Any]] | None = None


@dataclass
class RowIssue:
    """Why a row is refused. `column` is a column key (None: the row as a whole); `value` defaults to the
    cell's value."""

    message: str | Promise
    column: str | None = None
    value: Any = None


@dataclass
class ValidatedRow:
    """A row `validate_row` accepted: `data` is whatever `save_batch` needs. The engine sets `row_number`."""

    data: dict[str, Any]
    row_number: int = 0


@dataclass
class ImportContext:
    """Handed to every spec call of one run."""

    job: ImportJob
    spec: ImportSpec
    org: OrgUnit  # the node the records are imported into
    actor: Any  # the user who uploaded the file (None if the account was deleted)
    cache: dict[str, Any] = field(default_factory=dict)  # the spec's own look-up tables for the run
    rejected: list[tuple[ValidatedRow, RowIssue]] = field(default_factory=list)

    def reject(self, row: ValidatedRow, issue: RowIssue) -> None:
        """From `save_batch`: refuse a row that only the database shows to be invalid (a person registered in
        another community, a household without its head). The spec must not save it; the engine records the
        issue with the batch and counts the row as an error."""
        self.rejected.append((row, issue))


class ImportSpec:
    """Base class of every import spec; see the module docstring."""

    key: str = ""
    label: str | Promise = ""
    columns: Sequence[Column] = ()
    permission: str = ""  # e.g. "registry.add_person"; require()d against the target org
    batch_size: int = 500
    org_levels: tuple[int, ...] = (OrgLevel.COMMUNITY, OrgLevel.GRID)  # nodes a file may be imported into
    natural_key_columns: tuple[str, ...] = ()  # named in the “duplicate row” error
    tables: tuple[str, ...] = ()  # database tables the import fills (analysed after a finished job)

    def validate_row(self, values: dict[str, Any], context: ImportContext) -> ValidatedRow | list[RowIssue]:
        """Check and convert one row. `values` maps every column key to the raw cell value (None when empty;
        text already stripped of surrounding blanks); required cells are known to be present. Return a
        ValidatedRow, or the list of what is wrong. A django ValidationError raised here counts as an issue
        of the row."""
        return ValidatedRow(dict(values))

    def natural_key(self, row: ValidatedRow) -> str | None:
        """The identity of the record a row describes (e.g. the ID number), or None for no duplicate check."""
        return None

    def save_batch(self, rows: list[ValidatedRow], context: ImportContext) -> tuple[int, int]:
        """Create or update the records of `rows`; return (created, updated). MUST be an idempotent upsert on
        the natural key. Runs inside the batch's transaction: raising rolls back the batch and fails the job
        (which can then be resumed)."""
        raise NotImplementedError

    def batch_lock(self, context: ImportContext) -> tuple[int, int] | None:
        """A key (two 32-bit integers) that serialises this spec's batches with every other batch holding the
        same key, on PostgreSQL (`pg_advisory_xact_lock`, held until the batch commits); SQLite runs one
        writer anyway. Two imports of overlapping rosters into one community would otherwise both look up
        the same new records before either commits and both insert them: the later one fails on the unique
        key. Serialised, the later batch reads what the earlier committed and updates it. None: no lock."""
        return None

    def template_rows(self) -> list[dict[str, Any]]:
        """Example rows for the downloadable template, as {column key: value}."""
        example = {column.key: column.example for column in self.columns if column.example not in ("", None)}
        return [example] if example else []

    def template_examples(self) -> list[dict[str, str | None]]:
        """`template_rows` as `is_template_example` compares them: {column key: text}, None for a date or a
        number (a CSV may write it otherwise: any value will do)."""
        return [
            {
                key: value.strip() if isinstance(value, str) else None
                for key, value in row.items()
                if value != ""
            }
            for row in self.template_rows()
        ]

    def is_template_example(self, values: dict[str, Any], examples: list[dict[str, str | None]]) -> bool:
        """Whether a row of the file is the template's own grey example row left in (“张三
        110105199001011232”), whatever the file type: the file has every column the example fills, and each
        holds the example's text (a number read from an .xls or a CSV compares as its digits), some value
        where the example has a date or a number, and nothing where the example has nothing. A row with
        anything else is a real row, and so is any row of a file without some of the example's columns."""
        for example in examples:
            if any(
                (key not in example and value is not None)
                or (key in example and value is None)
                or (example.get(key) is not None and _cell_text(value) != example[key])
                for key, value in values.items()
            ):
                continue
            if example and all(key in values for key in example):
                return True
        return False

    def begin(self, context: ImportContext) -> None:
        """Called once per run before the first row (e.g. to load look-up tables into `context.cache`)."""

    def finish(self, context: ImportContext) -> None:
        """Called once when every row is processed, inside the transaction that marks the job done."""

    # helpers for the engine

    def column(self, key: str) -> Column | None:
        return next((column for column in self.columns if column.key == key), None)

    def header_of(self, key: str | None) -> str:
        column = self.column(key) if key else None
        return str(column.header) if column else ""

    def __str__(self) -> str:
        return str(self.label or self.key)


def _cell_text(value: Any) -> str | None:
    """A cell as the text a template's example row holds: an integral number as its digits."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


class UnknownSpec(ServiceError):
    code = "unknown_spec"


SPECS: dict[str, ImportSpec] = {}


def register_spec(spec):
    """Register an ImportSpec instance (or class, which is instantiated; usable as a class decorator)."""
    instance = spec() if isinstance(spec, type) else spec
    if not isinstance(instance, ImportSpec):
        raise TypeError("an import spec must be an ImportSpec")
    if not SPEC_KEY.match(instance.key or ""):
        raise ValueError(
            f"import spec key {instance.key!r} must be a lower-case slug (letters, digits, - or _)"
        )
    if "." not in instance.permission:
        raise ValueError(f"import spec {instance.key} must name a permission such as 'registry.add_person'")
    keys = [column.key for column in instance.columns]
    if not keys or len(set(keys)) != len(keys):
        raise ValueError(f"import spec {instance.key} needs columns with distinct keys")
    if instance.batch_size < 1:
        raise ValueError(f"import spec {instance.key} needs a positive batch size")
    existing = SPECS.get(instance.key)
    if existing is not None and type(existing).__qualname__ != type(instance).__qualname__:
        raise ValueError(
            f"import spec key {instance.key} is already registered by {type(existing).__qualname__}"
        )
    SPECS[instance.key] = instance
    return spec


def unregister_spec(key: str) -> None:
    SPECS.pop(key, None)


def get_spec(key: str) -> ImportSpec:
    try:
        return SPECS[key]
    except KeyError:
        raise UnknownSpec(_("未知的导入类型：%(key)s") % {"key": key}) from None


def find_spec(key: str) -> ImportSpec | None:
    return SPECS.get(key)


def all_specs() -> list[ImportSpec]:
    return sorted(SPECS.values(), key=lambda spec: spec.key)
