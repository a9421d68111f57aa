"""The database engine and the one place the schema is created.

SQLite (WAL, a generous busy timeout so two `sovereign ask` processes can write side by side) by
default; any SQLAlchemy URL, PostgreSQL included, through `SOVEREIGN_DATABASE_URL`.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from sqlalchemy import event, inspect, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, SQLModel, create_engine

from kernel.errors import StorageError
from kernel.storage import models  # noqa: F401  (registers the tables on SQLModel.metadata)

T = TypeVar("T")

_ENGINES: dict[str, Engine] = {}


def _normalise(url: str) -> str:
    # psycopg 3 is the driver we ship; plain "postgresql://" would ask for psycopg2.
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def make_engine(url: str) -> Engine:
    """An engine for `url`, with the schema created; one engine per URL per process."""
    url = _normalise(url)
    if url in _ENGINES:
        return _ENGINES[url]
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 60, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record) -> None:  # pragma: no cover - trivial
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=60000")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()
    else:
        engine = create_engine(url, pool_pre_ping=True)
    try:
        create_schema(engine)
    except OperationalError as exc:
        raise StorageError(
            f"cannot open the database at {engine.url.render_as_string(hide_password=True)}: "
            f"{exc.orig}; check SOVEREIGN_DATABASE_URL or SOVEREIGN_HOME"
        ) from exc
    _ENGINES[url] = engine
    return engine


def create_schema(engine: Engine) -> None:
    """Create missing tables, then add missing columns. The one place the schema is made.

    `create_all` is idempotent but never alters a table, so a column added to a model later is
    added here (with the model's default filled into existing rows) and older databases load."""
    retry_locked(lambda: SQLModel.metadata.create_all(engine))
    retry_locked(lambda: _add_missing_columns(engine))


def _table_models() -> dict[str, type[SQLModel]]:
    out: dict[str, type[SQLModel]] = {}
    todo = list(SQLModel.__subclasses__())
    while todo:
        cls = todo.pop()
        todo += cls.__subclasses__()
        if getattr(cls, "__table__", None) is not None:
            out[cls.__table__.name] = cls
    return out


def _add_missing_columns(engine: Engine) -> None:
    models_by_table = _table_models()
    present = inspect(engine)
    with engine.begin() as conn:
        for table in SQLModel.metadata.sorted_tables:
            if not present.has_table(table.name):
                continue
            have = {c["name"] for c in present.get_columns(table.name)}
            for column in table.columns:
                if column.name in have:
                    continue
                field = models_by_table[table.name].model_fields[column.name]
                default = field.get_default(call_default_factory=True)
                kind = column.type.compile(dialect=engine.dialect)
                clause = ""
                if default is not None:
                    literal = json.dumps(default) if isinstance(default, (list, dict)) else default
                    clause = " DEFAULT " + (repr(literal) if isinstance(literal, str) else str(literal))
                conn.execute(text(f'ALTER TABLE "{table.name}" ADD COLUMN "{column.name}" {kind}{clause}'))


def retry_locked(fn: Callable[[], T], attempts: int = 8) -> T:
    """Run `fn`, retrying when SQLite says the database is locked (concurrent writers).

    SQLite answers "locked" at once, without waiting out the busy timeout, when a read
    transaction would have to become a write on a stale WAL snapshot, or when two processes
    switch a new file to WAL together; the whole unit of work is then run again."""
    for i in range(attempts):
        try:
            return fn()
        except (OperationalError, sqlite3.OperationalError) as exc:
            if "locked" not in str(getattr(exc, "orig", exc)).lower() or i == attempts - 1:
                raise
            time.sleep(0.2 * (2**i))
    raise AssertionError("unreachable")


def transact(engine: Engine, work: Callable[[Session], T]) -> T:
    """Run ``work(session)`` as one committed unit of work; run it again, whole, while SQLite
    says the database is locked (see `retry_locked`)."""

    def once() -> T:
        with session_scope(engine) as session:
            return work(session)

    return retry_locked(once)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session whose work commits on success and rolls back on error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
