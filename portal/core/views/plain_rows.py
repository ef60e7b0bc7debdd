"""Rows of a big list read as plain values instead of ORM objects.

A list shows values. Building an ORM object per row and per related row was most of
what a list page's rows cost: twenty tickets with their customer, assignee and branch
took 1.5 ms on SQLite and 2.2 ms on PostgreSQL as objects, 0.2 and 0.5 ms as plain rows
(docs/performance.md). So a big list reads, in one statement, exactly what it shows:

* its own columns from ``column_list``;
* for a related row (``customer``), the columns its name is made of, declared on the
  related model as ``__display_columns__``; the stand-in uses the model's own
  ``__str__``, so the list shows what the record's name is everywhere else;
* the other attributes the view's formatters read (``list_row_extras``) and the model's
  plain properties they call (``list_row_properties``, e.g. ``is_open``).

A list column this cannot read (a one-to-many relation, a related model without
``__display_columns__``) makes :func:`plan` return None and the view keeps ORM rows.
A formatter reading an attribute nobody declared still gets the right value: the row
loads its ORM object (one more statement, logged), so a forgotten declaration costs
speed, never a wrong page. ``tests/core/test_plain_rows.py`` holds every big list to
its declarations.
"""

from __future__ import annotations

import inspect
import logging
from dataclasses import dataclass

from markupsafe import escape
from sqlalchemy import and_, select
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import BinaryExpression, BooleanClauseList

from ...extensions import db

log = logging.getLogger(__name__)


class PlainRow:
    """One row's values as attributes; a missing one falls back to the ORM object."""

    __slots__ = ("_orm",)
    __portal_model__: type = object

    def __getattr__(self, name):
        # Only reached for names the row does not hold (Python looks up slots first).
        if name.startswith("__") or name == "_orm":
            raise AttributeError(name)
        try:
            orm = object.__getattribute__(self, "_orm")
        except AttributeError:
            model = type(self).__portal_model__
            log.warning("%s row read %r, which its list did not select: loading the record", model.__name__, name)
            orm = db.session.get(model, object.__getattribute__(self, "id"))
            object.__setattr__(self, "_orm", orm)
        return getattr(orm, name)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {getattr(self, 'id', '?')}>"


def _row_class(model, fields, properties=(), display=False):
    namespace = {"__slots__": tuple(fields), "__portal_model__": model, "__module__": __name__}
    for name in properties:
        namespace[name] = inspect.getattr_static(model, name)  # the property itself, not its value
    if display:
        namespace["__str__"] = model.__str__
        # Drawn into a page as its escaped name. Without it, every cell's escape() asked the
        # row for __html__ and paid for a failed lookup through __getattr__.
        namespace["__html__"] = lambda self: str(escape(model.__str__(self)))
    return type(f"{model.__name__}Row", (PlainRow,), namespace)


@dataclass(frozen=True)
class _Related:
    key: str
    row_class: type
    names: tuple[str, ...]  # the related row's attributes read, "id" first


@dataclass(frozen=True)
class Plan:
    """How one view reads its list rows: the statement (minus the ids) and the classes."""

    row_class: type
    own: tuple[str, ...]
    related: tuple[_Related, ...]
    statement: object
    table: object

    def read_page(self, page_ids, newest_first_by, count):
        """(rows, count) in one statement: the rows whose ids the ``page_ids`` select
        finds, newest first by the ``newest_first_by`` columns, and the ``count`` scalar
        subquery (None when the page is empty). One round trip instead of three is what a
        list page saves most on PostgreSQL."""
        columns = self.table.c
        statement = (self.statement.add_columns(count.label("portal_count")).where(columns.id.in_(page_ids))
                     .order_by(*(columns[name].desc() for name in newest_first_by)))
        # On the session's connection, in its transaction: the rows are plain values, so the
        # ORM's statement and result handling would only add to the page (0.07 ms).
        result = db.session.connection().execute(statement).all()
        return list(self._rows(result)), (result[0][-1] if result else None)

    def _rows(self, result):
        width = len(self.own)
        for values in result:
            row = self.row_class.__new__(self.row_class)
            for name, value in zip(self.own, values):
                object.__setattr__(row, name, value)
            at = width
            for rel in self.related:
                part = values[at:at + len(rel.names)]
                at += len(rel.names)
                if part[0] is None:  # no related row (an unassigned ticket)
                    object.__setattr__(row, rel.key, None)
                    continue
                shown = rel.row_class.__new__(rel.row_class)
                for name, value in zip(rel.names, part):
                    object.__setattr__(shown, name, value)
                object.__setattr__(row, rel.key, shown)
            yield row


def plan(model, list_columns, extras=(), properties=()) -> Plan | None:
    """The plain read of ``list_columns`` (Flask-Admin's names, ``customer.phone``
    included), or None where a column needs ORM objects."""
    mapper = sa_inspect(model)
    if not _plain_table(mapper):
        return None
    own = ["id"]
    wanted: dict[str, list[str]] = {}
    for name in [*list_columns, *extras]:
        head, _dot, tail = name.partition(".")
        if head in mapper.column_attrs:
            if tail:
                return None
            if head not in own:
                own.append(head)
            continue
        relation = mapper.relationships.get(head)
        if relation is None or relation.direction.name != "MANYTOONE" or not _simple_join(mapper, relation):
            return None  # a property, or a list of related rows: only ORM objects have them
        target = relation.mapper.class_
        shown = getattr(target, "__display_columns__", None)
        if shown is None:
            return None
        columns = wanted.setdefault(head, ["id", *shown])
        if tail:
            if tail.partition(".")[1] or tail not in relation.mapper.column_attrs:
                return None
            if tail not in columns:
                columns.append(tail)
    # Core columns, not mapped attributes: rows of plain values need none of the ORM's
    # statement and result handling, which cost a list page 0.3 ms (docs/performance.md).
    table = mapper.local_table
    selected = [_column(mapper, name) for name in own]
    joined = table
    related = []
    for key, names in wanted.items():
        relation = mapper.relationships[key]
        target = relation.mapper
        alias = target.local_table.alias()
        joined = joined.outerjoin(alias, and_(*(local == alias.c[remote.name]
                                                for local, remote in relation.local_remote_pairs)))
        selected += [alias.c[_column(target, name).name] for name in names]
        related.append(_Related(key, _row_class(target.class_, names, display=True), tuple(names)))
    for prop in properties:
        if not isinstance(inspect.getattr_static(model, prop, None), property):
            raise TypeError(f"{model.__name__}.{prop} is not a plain property")
    statement = select(*selected).select_from(joined)
    return Plan(_row_class(model, [*own, *wanted], properties), tuple(own), tuple(related), statement, table)


def _column(mapper, name):
    return mapper.column_attrs[name].columns[0]


def _plain_table(mapper) -> bool:
    """A model mapped to one table of its own (no inheritance), readable as plain columns."""
    return mapper.inherits is None and mapper.local_table is mapper.persist_selectable


def _simple_join(mapper, relation) -> bool:
    """Is the relation a plain foreign key to another table, joined on its columns alone?
    Anything else (extra join criteria, a table joined to itself) keeps the ORM's join."""
    target = relation.mapper
    if relation.secondary is not None or not _plain_table(target) or target.local_table is mapper.local_table:
        return False
    pairs = relation.local_remote_pairs
    wanted = {(local, remote) for local, remote in pairs}
    found = set()
    for clause in _equalities(relation.primaryjoin):
        left, right = clause.left, clause.right
        found.add((left, right) if left.table is mapper.local_table else (right, left))
    return found == wanted and len(found) == len(pairs)


def _equalities(condition):
    if isinstance(condition, BooleanClauseList) and condition.operator is operators.and_:
        clauses = list(condition.clauses)
    else:
        clauses = [condition]
    if not all(isinstance(c, BinaryExpression) and c.operator is operators.eq for c in clauses):
        return []
    return clauses
