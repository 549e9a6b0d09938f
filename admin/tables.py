"""Piccolo table classes derived from the SQLAlchemy metadata: the schema is written once, in ``hrsys/*/models.py``.

:func:`derive_tables` walks ``hrsys.models.metadata`` in dependency order and
builds one Piccolo ``Table`` class per table with ``create_table_class``, bound to
one shared Piccolo engine. For each column it carries over:

- the type, unwrapping ``TypeDecorator`` types through ``impl_instance``
  (advanced-alchemy's ``DateTimeUTC`` becomes ``Timestamptz``, ``JsonB`` becomes
  ``JSONB`` on PostgreSQL and ``JSON`` on SQLite);
- nullability (Piccolo's ``ForeignKey`` is nullable unless told otherwise), and
  ``required`` for NOT NULL columns that have no default of any kind, so the
  admin's form marks them;
- defaults: literal server defaults (``"0"``, ``true``), ``now()`` and the
  ``utcnow`` callable (``TimestamptzNow``), scalar Python defaults, ``list``/``dict``
  for JSON (the admin's POST sends every field, so a column without a default
  would be written as NULL);
- enums as choices, built from the *names* SQLAlchemy stores;
- foreign keys to the referenced Piccolo class (``"self"`` for a tree), shown in
  lists and pickers by the referenced table's readable name (:data:`READABLE`,
  else ``code``, ``username``, ``name_en`` or ``title_en``, else the key).

Left out, on purpose: database-computed columns (``person.search_text``,
``skill.search_text``: the database writes them and refuses writes to them),
advanced-alchemy's ``sa_orm_sentinel``, the columns in :data:`HIDDEN_COLUMNS`
(password hashes never leave the database through the admin), and tables whose
primary key spans several columns (:func:`skipped_tables`): piccolo-admin
addresses a row by one key, so it would show, change or delete the wrong rows.

Cost: about 40 classes in ~50 ms; building the admin router over them takes
about a second, so :mod:`admin.app` does both once per process and database.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from piccolo.columns import (
    JSON,
    JSONB,
    BigInt,
    Boolean,
    Column,
    Date,
    DoublePrecision,
    ForeignKey,
    Integer,
    Serial,
    SmallInt,
    Text,
    Timestamp,
    Timestamptz,
    Varchar,
)
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.date import DateNow
from piccolo.columns.defaults.timestamp import TimestampNow
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.readable import Readable
from piccolo.engine.base import Engine as PiccoloEngine
from piccolo.table import Table, create_table_class

HIDDEN_COLUMNS: dict[str, frozenset[str]] = {
    "app_user": frozenset({"password_hash"}),
}
"""Columns never shown nor written through the admin."""

READABLE: dict[str, tuple[str, tuple[str, ...]]] = {
    "person": ("%s %s", ("first_name_en", "last_name_en")),
    "skill": ("%s: %s", ("code", "name_en")),
    "skill_group": ("%s: %s", ("code", "name_en")),
    "proficiency_level": ("%s %s", ("level", "label_en")),
    "kpi": ("%s", ("name_en",)),
    "course_session": ("%s %s", ("starts_on", "location")),
    "secondment": ("#%s %s", ("id", "agreement_ref")),
    "development_plan": ("#%s %s", ("id", "title")),
    "taskforce_need": ("#%s", ("id",)),
}
"""How a row is named where another table points at it (foreign keys in lists and pickers)."""

READABLE_FALLBACK = ("code", "username", "name_en", "title_en", "name")

_ON_DELETE = {
    "CASCADE": OnDelete.cascade,
    "RESTRICT": OnDelete.restrict,
    "SET NULL": OnDelete.set_null,
    "SET DEFAULT": OnDelete.set_default,
    "NO ACTION": OnDelete.no_action,
}


@dataclass(frozen=True)
class DerivedTable:
    """One derived Piccolo class and where it came from."""

    table: sa.Table
    piccolo: type[Table]
    columns: tuple[str, ...]
    """Columns carried into the Piccolo class (database names)."""


def class_name(table_name: str) -> str:
    """``development_plan_item`` -> ``DevelopmentPlanItem``."""
    return "".join(part.capitalize() for part in table_name.split("_"))


def skipped_tables(metadata: sa.MetaData) -> dict[str, str]:
    """Tables the admin cannot show correctly, with the reason."""
    skipped = {
        t.name: "its primary key spans several columns (" + ", ".join(c.name for c in t.primary_key.columns) + ")"
        for t in metadata.sorted_tables
        if len(t.primary_key.columns) != 1
    }
    skipped.update(
        {
            t.name: f"its primary key ({t.primary_key.columns[0].name}) is another table's row, chosen not generated"
            for t in metadata.sorted_tables
            if len(t.primary_key.columns) == 1 and t.primary_key.columns[0].foreign_keys
        }
    )
    return skipped


def base_type(type_: sa.types.TypeEngine[Any]) -> sa.types.TypeEngine[Any]:
    """The storage type under any ``TypeDecorator`` layers."""
    while isinstance(type_, sa.types.TypeDecorator):
        type_ = type_.impl_instance
    return type_


def is_carried(column: sa.Column[Any]) -> bool:
    """Whether the column belongs in the derived class (see the module docstring)."""
    if column.computed is not None or column.name == "sa_orm_sentinel":
        return False
    return column.name not in HIDDEN_COLUMNS.get(column.table.name, frozenset())


def _server_default_sql(column: sa.Column[Any]) -> str | None:
    default = column.server_default
    if default is None:
        return None
    arg = getattr(default, "arg", None)
    if isinstance(arg, str):
        return arg
    if arg is not None and hasattr(arg, "text"):
        return str(arg.text)
    if arg is not None:
        return str(arg)
    return None


_NOW = re.compile(r"^(now\(\)|current_timestamp|CURRENT_TIMESTAMP)$", re.IGNORECASE)


def _is_now(column: sa.Column[Any]) -> bool:
    sql = _server_default_sql(column)
    if sql is not None and _NOW.match(sql.strip()):
        return True
    default = column.default
    fn = getattr(default, "arg", None) if default is not None else None
    return callable(fn) and getattr(fn, "__name__", "") in {"utcnow", "now"}


def literal_default(column: sa.Column[Any], kind: str) -> tuple[bool, Any]:
    """``(has_default, value)`` from a scalar Python default or a literal server default, for a column kind."""
    default = column.default
    if default is not None and getattr(default, "is_scalar", False):
        return True, default.arg  # type: ignore[attr-defined]
    if default is not None and getattr(default, "is_callable", False):
        fn = default.arg  # type: ignore[attr-defined]
        name = getattr(fn, "__wrapped__", fn)
        if name in (list, dict):
            return True, name()
        # SQLAlchemy wraps plain callables; the original is the closure's free variable.
        for cell in getattr(fn, "__closure__", None) or ():
            if cell.cell_contents in (list, dict):
                return True, cell.cell_contents()
    sql = _server_default_sql(column)
    if sql is None:
        return False, None
    text = sql.strip().strip("'")
    try:
        if kind == "bool":
            return True, text.lower() in {"1", "true", "t", "yes"}
        if kind == "int":
            return True, int(text)
        if kind == "float":
            return True, float(text)
    except ValueError:
        return False, None
    if kind == "str":
        return True, text
    return False, None


def choices_of(type_: sa.types.TypeEngine[Any], table: str, column: str) -> type[enum.Enum] | None:
    """A Python enum of the values SQLAlchemy stores for an ``Enum`` column (its member *names*)."""
    if not isinstance(type_, sa.Enum):
        return None
    names = list(type_.enums)
    return enum.Enum(f"{class_name(table)}{class_name(column)}", {n: n for n in names})  # type: ignore[return-value]


def _kind(type_: sa.types.TypeEngine[Any]) -> str:
    if isinstance(type_, sa.Enum):
        return "enum"
    if isinstance(type_, sa.Boolean):
        return "bool"
    if isinstance(type_, sa.BigInteger):
        return "bigint"
    if isinstance(type_, sa.SmallInteger):
        return "smallint"
    if isinstance(type_, sa.Integer):
        return "int"
    if isinstance(type_, sa.Float | sa.Numeric):
        return "float"
    if isinstance(type_, sa.DateTime):
        return "datetime_tz" if type_.timezone else "datetime"
    if isinstance(type_, sa.Date):
        return "date"
    if isinstance(type_, sa.JSON):
        return "json"
    if isinstance(type_, sa.Text):
        return "text"
    if isinstance(type_, sa.String):
        return "str" if type_.length else "text"
    raise TypeError(f"no Piccolo column for {type_!r}")


def piccolo_column(
    column: sa.Column[Any],
    *,
    dialect: str,
    references: Callable[[str], type[Table] | str],
    help_text: str | None = None,
) -> Column:
    """The Piccolo column for one SQLAlchemy column (see the module docstring for what is carried)."""
    type_ = base_type(column.type)
    kind = _kind(type_)
    null = bool(column.nullable)
    common: dict[str, Any] = {"null": null, "help_text": help_text or (str(column.doc) if column.doc else None)}
    if column.primary_key:
        if kind in {"int", "bigint", "smallint"}:
            return Serial(primary_key=True)
        if kind == "str":
            return Varchar(length=type_.length, primary_key=True)  # type: ignore[attr-defined]
        raise TypeError(f"unsupported primary key {column.table.name}.{column.name}")
    fks = list(column.foreign_keys)
    if fks:
        fk = fks[0]
        target = fk.column.table.name
        ref = "self" if target == column.table.name else references(target)
        kw = {k: v for k, v in common.items() if v is not None}
        return ForeignKey(
            references=ref,
            default=None,
            on_delete=_ON_DELETE.get((fk.ondelete or "NO ACTION").upper(), OnDelete.no_action),
            required=not null,
            **kw,
        )

    if kind in {"int", "bigint", "smallint", "float", "bool", "str"}:
        literal_kind = "int" if kind in {"bigint", "smallint"} else kind
        has_default, value = literal_default(column, literal_kind)
    elif kind == "enum":
        has_default, value = literal_default(column, "str")
    else:
        has_default, value = False, None
    if kind in {"datetime_tz", "datetime", "date"} and _is_now(column):
        has_default = True
        value = {"datetime_tz": TimestamptzNow(), "datetime": TimestampNow(), "date": DateNow()}[kind]
    if kind == "json":
        has_default, value = literal_default(column, "json")
    common["required"] = not null and not has_default
    default = value if has_default else None
    kw = {k: v for k, v in common.items() if v is not None}

    if kind == "enum":
        choices = choices_of(type_, column.table.name, column.name)
        return Varchar(length=getattr(type_, "length", None) or 255, choices=choices, default=default, **kw)
    if kind == "bool":
        return Boolean(default=default if has_default else (None if null else False), **kw)
    if kind == "int":
        return Integer(default=default, **kw)
    if kind == "bigint":
        return BigInt(default=default, **kw)
    if kind == "smallint":
        return SmallInt(default=default, **kw)
    if kind == "float":
        return DoublePrecision(default=float(default) if default is not None else None, **kw)
    if kind == "str":
        return Varchar(length=type_.length, default=default, **kw)  # type: ignore[attr-defined]
    if kind == "text":
        return Text(default=default, **kw)
    if kind == "datetime_tz":
        return Timestamptz(default=default, **kw)
    if kind == "datetime":
        return Timestamp(default=default, **kw)
    if kind == "date":
        return Date(default=default, **kw)
    if kind == "json":
        column_class = JSONB if dialect == "postgresql" else JSON
        return column_class(default=default if has_default else (None if null else "{}"), **kw)
    raise TypeError(f"no Piccolo column for {column.table.name}.{column.name}")  # pragma: no cover


def readable_for(table: sa.Table, columns: dict[str, Column]) -> Readable:
    """The readable name of a row of ``table`` (see :data:`READABLE`)."""
    template, names = READABLE.get(table.name, ("%s", ()))
    if not names or not all(n in columns for n in names):
        name = next((n for n in READABLE_FALLBACK if n in columns), None)
        pk = next(iter(table.primary_key.columns)).name
        template, names = ("%s", (name,)) if name else ("#%s", (pk,))
    return Readable(template=template, columns=[columns[n] for n in names])


def derive_tables(
    metadata: sa.MetaData,
    engine: PiccoloEngine,
    *,
    help_texts: dict[str, dict[str, str]] | None = None,
    skip: Iterable[str] = (),
) -> dict[str, DerivedTable]:
    """One Piccolo class per table of ``metadata`` (minus :func:`skipped_tables` and ``skip``), bound to ``engine``.

    Classes are built in foreign-key order, so each foreign key points at a class
    that exists already; a table that points at itself uses ``"self"``. The
    metadata of hrsys has no cycles between tables; one would raise ``KeyError``.
    """
    dialect = "postgresql" if engine.engine_type == "postgres" else "sqlite"
    left_out = set(skipped_tables(metadata)) | set(skip)
    help_texts = help_texts or {}
    derived: dict[str, DerivedTable] = {}

    def references(name: str) -> type[Table]:
        return derived[name].piccolo

    for table in metadata.sorted_tables:
        if table.name in left_out:
            continue
        members: dict[str, Any] = {}
        for column in table.columns:
            if not is_carried(column):
                continue
            members[column.name] = piccolo_column(
                column,
                dialect=dialect,
                references=references,
                help_text=help_texts.get(table.name, {}).get(column.name),
            )
        readable = readable_for(table, members)
        members["get_readable"] = classmethod(lambda cls, _r=readable: _r)
        piccolo = create_table_class(
            class_name=class_name(table.name),
            class_kwargs={"tablename": table.name, "db": engine},
            class_members=members,
        )
        derived[table.name] = DerivedTable(
            table=table, piccolo=piccolo, columns=tuple(c for c in members if c != "get_readable")
        )
    return derived


def utc(value: dt.datetime) -> dt.datetime:
    """An aware UTC datetime (naive values are taken as UTC, as hrsys stores them)."""
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)
