"""The one SQLAlchemy object, the declarative base, UTC time and the pull change counter.

Every transaction that changes what a device pulls takes the next value of the single
``sync_counter`` row *inside* that transaction, just before commit. The UPDATE locks the
row until commit, so writers receive counter values in commit order and a pull cursor
can never step over a change that commits later (PostgreSQL commits out of order
otherwise).
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from functools import lru_cache
from operator import itemgetter
from typing import Any

import orjson
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import (
    BigInteger,
    Connection,
    DateTime,
    Integer,
    MetaData,
    Table,
    bindparam,
    event,
    text,
)
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)


def utcnow() -> datetime:
    return datetime.now(UTC)


def yuan(fen: int | None, sign: bool = False) -> str:
    """Integer fen as yuan with two decimals, e.g. 123456 -> '¥1,234.56'; the one money
    format of pages, PDFs and explanations."""
    if fen is None:
        return ""
    prefix = "-" if fen < 0 else ("+" if sign and fen > 0 else "")
    whole, cents = divmod(abs(int(fen)), 100)
    return f"{prefix}¥{whole:,}.{cents:02d}"


def expanding(name: str) -> Any:
    """A bound list for IN: the statement is built once, and a long list costs one parameter."""
    return bindparam(name, expanding=True)


def json_text(value: Any) -> str:
    """How JSON columns are written: compact UTF-8 text. orjson is ten times faster than
    json.dumps on the small dicts a push stores by the thousand; integers beyond 64 bits
    (a device may send any number) take the slow path."""
    try:
        return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()
    except TypeError:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


# Moments already written as SQLite text, shared by every column: a push stores each act's
# moment in several rows (the line, its stock move and warranty, the mutation log) and
# stamps whole columns with one (received, audited); formatting one costs 30 lookups.
# Equal moments are equal instants, whatever their zone, and the text is UTC.
_SQLITE_TEXT: dict[datetime, str] = {}


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes on both SQLite (which drops tzinfo) and PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime stored; use aware UTC")
        return value.astimezone(UTC)

    def bind_processor(self, dialect: Any) -> Any:
        if dialect.name != "sqlite":
            return super().bind_processor(dialect)
        to_utc = self.process_bind_param

        def process(value: datetime | None) -> str | None:
            # SQLite's DATETIME text ("2026-11-23 05:11:57.000000": the first 26 characters
            # of a UTC isoformat), by C's isoformat rather than SQLAlchemy's %-format of
            # seven attributes: a push stores thousands.
            if value is None:
                return None
            text = _SQLITE_TEXT.get(value)
            if text is None:
                if len(_SQLITE_TEXT) > 4096:
                    _SQLITE_TEXT.clear()
                utc = value if value.tzinfo is UTC else to_utc(value, dialect)
                text = _SQLITE_TEXT[value] = utc.isoformat(" ", "microseconds")[:26]
            return text

        return process

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


def _placeholder(dialect: Any) -> str:
    """One positional parameter in the driver's SQL: SQLite's ? or psycopg's %s."""
    return "?" if dialect.paramstyle == "qmark" else "%s"


def _cursor_call(connection: Connection, run: Any, sql: str, params: Any) -> Any:
    """Run `run(cursor)` on the DBAPI cursor of the connection's transaction; the driver's
    errors come out as SQLAlchemy's (IntegrityError and the rest), as from Core."""
    cursor = connection.connection.cursor()
    try:
        return run(cursor)
    except connection.dialect.loaded_dbapi.Error as error:
        raise DBAPIError.instance(sql, params, error, connection.dialect.loaded_dbapi.Error) from error
    finally:
        cursor.close()


class Prepared:
    """A Core statement compiled once per dialect (and, for INSERT and UPDATE, per set of
    columns given) and run on the DBAPI cursor of the connection's transaction.

    For the push, which runs some thirty small statements per request: SQLAlchemy's work
    per execution (cache key, parameter and result set-up) costs several times what the
    database spends on them. Values still pass through each column's own type (bind and
    result processors), so what is stored and read is what Core would store and read.
    An empty IN list matches nothing; every parameter must be given or bound in the
    statement (no Python-side column defaults). Engine events do not see these
    statements."""

    _EXPANDING = r"__\[POSTCOMPILE_(?P<expanding>\w+)(?:~~(?P<left>.*?)~~REPL~~(?P<right>.*?)~~)?\]"
    _PLACEHOLDERS = {"qmark": re.compile(rf"\?|{_EXPANDING}"),
                     "pyformat": re.compile(rf"(?<!%)%\((?P<name>\w+)\)s|{_EXPANDING}")}

    def __init__(self, statement: Any) -> None:
        self.statement = statement
        self._columns = tuple(getattr(statement, "exported_columns", ()))
        self.names = tuple(c.name for c in self._columns)

    @lru_cache(maxsize=1024)  # noqa: B019 - the statements are module constants, kept for good
    def _template(self, dialect: Any, given: tuple[str, ...]) -> tuple[list[str], list[tuple], dict, dict]:
        """The SQL cut at its placeholders, what fills each one, the statement's own
        values, and (filled in by the first execution) the result processors."""
        compiled = self.statement.compile(dialect=dialect, column_keys=list(given))
        positions = iter(compiled.positiontup or ())
        pieces, slots, start = [], [], 0
        for match in self._PLACEHOLDERS[dialect.paramstyle].finditer(compiled.string):
            name = next(positions) if compiled.positional else match["name"] or match["expanding"]
            bind = compiled.binds[name]
            if name not in given and bind.value is None and bind.callable is None:
                raise ValueError(f"{name} is neither given nor bound in the statement")
            process = bind.type.dialect_impl(dialect).bind_processor(dialect)
            expanding = match["expanding"] is not None
            slots.append((name, expanding, process, match["left"] or "", match["right"] or ""))
            pieces.append(compiled.string[start:match.start()])
            start = match.end()
        pieces.append(compiled.string[start:])
        defaults = {name: bind.effective_value for name, bind in compiled.binds.items()}
        return pieces, slots, defaults, {}

    @staticmethod
    def _sql(dialect: Any, pieces: list[str], slots: list[tuple], params: dict[str, Any]) -> str:
        """The SQL for these parameters, IN lists written out."""
        mark = _placeholder(dialect)
        sql = [pieces[0]]
        for (name, expanding, _, left, right), piece in zip(slots, pieces[1:], strict=True):
            count = len(params[name]) if expanding else -1
            sql.append(mark if count < 0 else ", ".join([left + mark + right] * count) or "NULL")
            sql.append(piece)
        return "".join(sql)

    @staticmethod
    def _values(slots: list[tuple], defaults: dict[str, Any], params: dict[str, Any]) -> list[Any]:
        values: list[Any] = []
        for name, expanding, process, _, _ in slots:
            value = params[name] if name in params else defaults[name]
            if expanding:
                values.extend(map(process, value) if process else value)
            else:
                values.append(process(value) if process else value)
        return values

    def rows(self, connection: Connection, params: dict[str, Any] | None = None) -> list[tuple]:
        """The statement's rows (SELECT, or DML with RETURNING), each value converted."""
        params = params or {}
        pieces, slots, defaults, processors = self._template(connection.dialect, tuple(params))
        sql = self._sql(connection.dialect, pieces, slots, params)
        values = self._values(slots, defaults, params)

        def fetch(cursor: Any) -> list[tuple]:
            rows = cursor.execute(sql, values).fetchall()
            if "columns" not in processors:  # PostgreSQL's numbers depend on the described type
                dialect = connection.dialect
                found = [c.type.dialect_impl(dialect).result_processor(dialect, d[1])
                         for c, d in zip(self._columns, cursor.description, strict=False)]
                processors["columns"] = found if any(found) else None
            return rows

        rows = _cursor_call(connection, fetch, sql, values)
        convert = processors["columns"]
        if convert is None or not rows:
            return rows
        columns = list(zip(*rows, strict=True))
        for i, process in enumerate(convert):  # column by column: map's loop runs in C
            if process is not None:
                columns[i] = map(process, columns[i])
        return list(zip(*columns, strict=True))

    def read(self, params: dict[str, Any] | None = None) -> list[tuple]:
        """rows() in the session's transaction, once the session has flushed what it holds
        (as Session.execute does)."""
        db.session.flush()
        return self.rows(db.session.connection(), params)

    def run(self, connection: Connection, params: dict[str, Any] | list[dict[str, Any]]) -> None:
        """Execute with one set of parameters, or with many (executemany: the same keys
        and no IN lists)."""
        many = params if isinstance(params, list) else [params]
        if not many:
            return
        pieces, slots, defaults, _ = self._template(connection.dialect, tuple(many[0]))
        sql = self._sql(connection.dialect, pieces, slots, many[0])
        values = [self._values(slots, defaults, p) for p in many]
        _cursor_call(connection, lambda c: c.executemany(sql, values), sql, values)


class SyncCounter(db.Model):
    __tablename__ = "sync_counter"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)
    catalog_seq: Mapped[int] = mapped_column(BigInteger, default=0)


def mark_changed(
    session: Session, *, ticket_ids: tuple[int, ...] = (), levels: tuple[tuple[int, str], ...] = (),
    catalog: bool = False, removals: bool = False,
) -> None:
    """Note what this transaction changed (stock levels as (location_id, sku)); the counter
    is taken once, before commit."""
    changes = session.info.setdefault(
        "sync_changes", {"tickets": set(), "levels": set(), "catalog": False, "removals": False}
    )
    changes["tickets"].update(ticket_ids)
    changes["levels"].update(levels)
    changes["catalog"] = changes["catalog"] or catalog
    changes["removals"] = changes["removals"] or removals


@event.listens_for(Session, "after_flush")
def _collect_changes(session: Session, flush_context: Any) -> None:
    # Anything that belongs to a ticket, a stock level or the catalog marks itself.
    for obj in (*session.new, *session.dirty, *session.deleted):
        scope = getattr(obj, "__sync_scope__", None)
        if scope == "ticket":
            ticket_id = getattr(obj, "ticket_id", None)
            if ticket_id is not None:
                mark_changed(session, ticket_ids=(ticket_id,))
        elif scope == "location":
            mark_changed(session, levels=((obj.location_id, obj.sku),))
        elif scope == "catalog":
            mark_changed(session, catalog=True)
        elif scope == "removal":
            mark_changed(session, removals=True)


NEXT_SEQ = Prepared(text("UPDATE sync_counter SET value = value + 1 WHERE id = 1 RETURNING value"))
STAMP_CATALOG = Prepared(text("UPDATE sync_counter SET catalog_seq = :s WHERE id = 1"))
STAMP_TICKETS = Prepared(text("UPDATE tickets SET change_seq = :s WHERE id IN :ids").bindparams(
    expanding("ids")))
# Rows of other open transactions are invisible here, so only ours get stamped.
STAMP_REMOVALS = Prepared(text("UPDATE ticket_removals SET change_seq = :s WHERE change_seq = 0"))
STAMP_LEVEL = Prepared(text(
    "UPDATE stock_levels SET change_seq = :s WHERE location_id = :location_id AND sku = :sku"))


@event.listens_for(Session, "before_commit")
def _stamp_changes(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint releasing; the counter is taken once, at the real commit
    session.flush()
    changes = session.info.pop("sync_changes", None)
    if not changes or not (
        changes["tickets"] or changes["levels"] or changes["catalog"] or changes["removals"]
    ):
        return
    connection = session.connection()  # Core: these run on every commit that changed anything
    ((seq,),) = NEXT_SEQ.rows(connection)
    session.info["committed_seq"] = seq
    if changes["catalog"]:
        STAMP_CATALOG.run(connection, {"s": seq})
    if changes["tickets"]:
        STAMP_TICKETS.run(connection, {"s": seq, "ids": sorted(changes["tickets"])})
    if changes["removals"]:
        STAMP_REMOVALS.run(connection, {"s": seq})
    if changes["levels"]:
        # Only the levels that moved: the customer's and the warehouse's hold every SKU.
        STAMP_LEVEL.run(connection, [{"s": seq, "location_id": location_id, "sku": sku}
                                     for location_id, sku in sorted(changes["levels"])])


@lru_cache(maxsize=256)
def _insert_plan(table: Table, names: tuple[str, ...], dialect: Any) -> tuple[str, str, list, Any]:
    """INSERT text up to VALUES, one row's placeholders, the columns' bind processors and a
    getter of a row's values: built once per table and set of columns."""
    quote = dialect.identifier_preparer.quote
    mark = _placeholder(dialect)
    head = f"INSERT INTO {quote(table.name)} ({', '.join(quote(n) for n in names)}) VALUES "
    converting = [(i, p) for i, n in enumerate(names)
                  if (p := table.c[n].type.dialect_impl(dialect).bind_processor(dialect)) is not None]
    values_of = itemgetter(*names) if len(names) > 1 else lambda row: (row[names[0]],)
    return head, f"({', '.join([mark] * len(names))})", converting, values_of


def insert_rows(connection: Connection, table: Table, rows: list[dict[str, Any]],
                returning: tuple[str, ...] = ()) -> list[tuple]:
    """INSERT many rows (all with the same keys): one executemany, or with `returning`
    one multi-row INSERT ... RETURNING those columns (in no promised order).

    Values are converted by each column's own type (SQLAlchemy's bind processors, so
    datetimes and JSON are stored exactly as the ORM stores them), without Core's per-row
    bookkeeping, which costs more than SQLite's own insert. No Python-side column
    defaults: every row names the values it needs."""
    if not rows:
        return []
    dialect = connection.dialect
    head, row_marks, converting, values_of = _insert_plan(table, tuple(rows[0]), dialect)
    columns: list[Any] = list(zip(*map(values_of, rows), strict=True))
    for i, process in converting:  # column by column: map's loop runs in C
        columns[i] = map(process, columns[i])
    params = list(zip(*columns, strict=True))
    if not returning:
        sql = head + row_marks
        _cursor_call(connection, lambda c: c.executemany(sql, params), sql, params)
        return []
    quote = dialect.identifier_preparer.quote
    sql = head + ", ".join([row_marks] * len(rows)) + f" RETURNING {', '.join(quote(n) for n in returning)}"
    flat = tuple(v for values in params for v in values)
    return [tuple(r) for r in _cursor_call(connection, lambda c: c.execute(sql, flat).fetchall(), sql, flat)]


@event.listens_for(Session, "after_rollback")
def _forget_changes(session: Session) -> None:
    # Only a full rollback forgets; a rolled-back savepoint may leave an extra mark,
    # which costs one redundant ticket in a pull and never a missed one.
    if not session.in_transaction():
        session.info.pop("sync_changes", None)
