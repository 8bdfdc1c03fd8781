"""One transaction on one connection, used from the event loop in as few thread hops as it can.

Callers use it as they would SQLAlchemy's ``AsyncSession``: ``await session.execute(...)``,
``session.add(row)``, ``await session.flush()``… Every awaited call is one trip to the worker
thread, where a synchronous connection and (once something needs it) a synchronous ORM session
do the work: the async drivers took three or four trips per statement, and a trip costs tens of
microseconds against a few for the statement itself.

Rows loaded without the ORM (``track``, the router's account and conversation state, read with
one Core statement) are written at commit with one Core statement each, if the ORM never
opened: the common message (a step answered, a language changed) then costs two trips, BEGIN
with its read and the writes with COMMIT, and no ORM unit of work. When the ORM does open, it
takes those rows in, so that it sees them as any row it loaded itself and writes them at flush.
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from sqlalchemy import (
    Connection,
    Engine,
    Executable,
    Result,
    bindparam,
    delete,
    insert,
    inspect,
    update,
)
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import make_transient_to_detached

from bot.storage import prepared
from bot.storage.workers import Worker

T = TypeVar("T")


def _uses_orm(statement: Executable) -> bool:
    # How SQLAlchemy itself tells an ORM statement (select(Person)) from a Core one.
    attrs = getattr(statement, "_propagate_attrs", None) or {}
    return attrs.get("compile_state_plugin") == "orm"


@functools.cache
def _attribute_keys(model: type[Any]) -> tuple[str, ...]:
    mapper = inspect(model)
    if mapper.relationships:
        # _detached() would leave them neither loaded nor expired.
        raise TypeError(f"{model.__name__}: rows read by split_row have no relationship()")
    return tuple(mapper.get_property_by_column(column).key for column in mapper.local_table.c)


def split_row(row: Sequence[Any], models: Sequence[type[Any]]) -> list[Any]:
    """The rows of ``models`` in one Core result row holding all their table's columns in
    order, as detached model instances; None for a model whose columns are all NULL (an outer
    join that found nothing)."""
    rows: list[Any] = []
    start = 0
    for model in models:
        keys = _attribute_keys(model)
        values = row[start : start + len(keys)]
        start += len(keys)
        if all(value is None for value in values):
            rows.append(None)
            continue
        rows.append(_detached(model, keys, values))
    return rows


def _detached(model: type[Any], keys: Sequence[str], values: Sequence[Any]) -> Any:
    """A row of ``model`` as the ORM loads one, without its identity map and per-column
    loaders: every column set, nothing changed, its identity given (what
    ``make_transient_to_detached`` does, at a third of its cost for our five rows a message:
    their columns are all there, so there is no attribute to expire)."""
    mapper = inspect(model)
    instance = mapper.class_manager.new_instance()
    instance.__dict__.update(zip(keys, values, strict=True))
    inspect(instance).key = mapper.identity_key_from_primary_key(
        (instance.__dict__[_key_name(model)],)
    )
    return instance


@functools.cache
def _columns(model: type[Any]) -> frozenset[str]:
    return frozenset(_attribute_keys(model))


@functools.cache
def _key_name(model: type[Any]) -> str:
    mapper = inspect(model)
    (column,) = mapper.primary_key
    return mapper.get_property_by_column(column).key


def _column(model: type[Any], name: str) -> Any:
    return inspect(model).get_property(name).columns[0]


def _parameters_for(model: type[Any], names: frozenset[str]) -> dict[str, Any]:
    """Each column of ``names`` given by the parameter ``v_<name>`` (see ``_bound``)."""
    return {_column(model, name).key: bindparam(f"v_{name}") for name in names}


# Built once per table and set of columns: building a statement costs more than running it.
@functools.cache
def _updating(model: type[Any], names: frozenset[str]) -> Executable:
    key = _column(model, _key_name(model))
    return (
        update(inspect(model).local_table)
        .where(key == bindparam("key_"))
        .values(_parameters_for(model, names))
    )


@functools.cache
def _inserting(model: type[Any], names: frozenset[str]) -> Executable:
    key = _column(model, _key_name(model))
    return insert(inspect(model).local_table).values(_parameters_for(model, names)).returning(key)


@functools.cache
def _deleting(model: type[Any]) -> Executable:
    table = inspect(model).local_table
    return delete(table).where(_column(model, _key_name(model)) == bindparam("key_"))


def _bound(values: dict[str, Any]) -> dict[str, Any]:
    return {f"v_{name}": value for name, value in values.items()}


class Session:
    """A transaction's statements, run in a worker thread; see the module's docstring."""

    def __init__(self, engine: Engine, worker: Worker) -> None:
        self.bind = engine
        # The thread every statement of this transaction runs on, in order, on its connection.
        self._worker = worker
        self._connection: Connection | None = None
        self._orm: OrmSession | None = None
        # Rows loaded outside the ORM, and those of them to delete; rows added before it opens.
        self._tracked: list[Any] = []
        self._deleted: list[Any] = []
        self._added: list[Any] = []

    async def _hop(self, work: Callable[..., T], *args: Any) -> T:
        return await self._worker.submit(work, *args)

    # Worker thread side.

    def _connect(self) -> Connection:
        if self._connection is None:
            self._connection = self._worker.connection()
            self._connection.begin()
        return self._connection

    def _session(self) -> OrmSession:
        if self._orm is None:
            # Joined to our connection's transaction, which we commit ourselves.
            orm = OrmSession(
                bind=self._connect(),
                expire_on_commit=False,
                join_transaction_mode="rollback_only",
            )
            orm.add_all([*self._tracked, *self._added])
            for row in self._deleted:
                orm.delete(row)
            self._tracked, self._deleted, self._added = [], [], []
            self._orm = orm
        return self._orm

    def _needs_orm(self, statement: Executable) -> bool:
        return (
            self._orm is not None
            or bool(self._added)
            or _uses_orm(statement)
            # A tracked row changed and not written yet: the ORM flushes it before the query.
            or any(inspect(row).modified for row in self._tracked)
        )

    def _execute(self, statement: Executable, params: Any, kwargs: dict[str, Any]) -> Result[Any]:
        # Rows are fetched here, in the worker, as AsyncSession has its drivers do: reading them
        # later from the cursor would be reading the database on the event loop.
        options = {**kwargs.pop("execution_options", {}), "prebuffer_rows": True}
        if self._needs_orm(statement):
            return self._session().execute(statement, params, execution_options=options, **kwargs)
        return self._connect().execute(statement, params, execution_options=options)

    def _scalar(self, statement: Executable, params: Any, kwargs: dict[str, Any]) -> Any:
        return self._execute(statement, params, kwargs).scalar()

    def _on_connection(self, work: Callable[..., T], args: Sequence[Any]) -> T:
        if self._orm is not None:
            self._orm.flush()
        return work(self._connect(), *args)

    def _write_tracked(self) -> None:
        """Core statements for the tracked rows: the ORM never opened."""
        for row in self._deleted:
            (key,) = inspect(row).mapper.primary_key_from_instance(row)
            prepared.run(self._connect(), _deleting(type(row)), {"key_": key})
        for row in self._tracked:
            state = inspect(row)
            if state.key is None:
                values = {
                    name: value
                    for name, value in state.dict.items()
                    if name in _columns(type(row)) and value is not None
                }
                statement = _inserting(type(row), frozenset(values))
                ((key,),) = prepared.run(self._connect(), statement, _bound(values))
                state.dict[_key_name(type(row))] = key
                make_transient_to_detached(row)
            elif state.modified and (changed := frozenset(state.committed_state)):
                values = _bound({name: state.dict.get(name) for name in changed})
                values["key_"] = state.key[1][0]
                prepared.run(self._connect(), _updating(type(row), changed), values)

    def _commit(self) -> None:
        try:
            if self._orm is not None or self._added:
                self._session().flush()
            else:
                self._write_tracked()
            if self._connection is not None:
                self._connection.commit()
        finally:
            self._close()

    def _rollback(self) -> None:
        try:
            if self._connection is not None:
                self._connection.rollback()
        finally:
            self._close()

    def _close(self) -> None:
        if self._orm is not None:
            self._orm.close()
            self._orm = None
        # The connection stays the worker's, open, ready for the next transaction.
        if self._connection is not None:
            if self._connection.in_transaction():
                self._connection.rollback()
            self._connection = None

    # Event loop side.

    def track(self, *rows: T) -> list[T]:
        """Take in rows loaded without the ORM (detached, or new and unsaved), whose changes
        this transaction writes at commit; use the rows returned: where the ORM already holds
        one of them, its own instance (it may hold changes not written yet)."""
        if self._orm is not None:
            used = []
            for row in rows:
                key = inspect(row).key
                held = self._orm.identity_map.get(key) if key is not None else None
                if held is None:
                    self._orm.add(row)
                used.append(held if held is not None else row)
            return used
        for row in rows:
            if not any(row is kept for kept in self._tracked):
                self._tracked.append(row)
        return list(rows)

    async def run_on_connection(self, work: Callable[..., T], *args: Any) -> T:
        """``work(connection, *args)`` in the worker, on this transaction's connection (after
        the ORM's pending changes): Core statements without the ORM's cost."""
        return await self._hop(self._on_connection, work, args)

    async def execute(
        self, statement: Executable, params: Any = None, **kwargs: Any
    ) -> Result[Any]:
        return await self._hop(self._execute, statement, params, kwargs)

    async def scalars(self, statement: Executable, params: Any = None, **kwargs: Any) -> Any:
        return (await self.execute(statement, params, **kwargs)).scalars()

    async def scalar(self, statement: Executable, params: Any = None, **kwargs: Any) -> Any:
        return await self._hop(self._scalar, statement, params, kwargs)

    async def get(self, entity: type[T], ident: Any, **kwargs: Any) -> T | None:
        return await self._hop(lambda: self._session().get(entity, ident, **kwargs))

    async def refresh(self, row: object, **kwargs: Any) -> None:
        await self._hop(lambda: self._session().refresh(row, **kwargs))

    async def run_sync(self, work: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """``work(orm_session, *args, **kwargs)`` in the worker, as AsyncSession.run_sync."""
        return await self._hop(lambda: work(self._session(), *args, **kwargs))

    async def flush(self) -> None:
        if self._orm is not None or self._added:
            await self._hop(lambda: self._session().flush())

    def add(self, row: object) -> None:
        if self._orm is not None:
            self._orm.add(row)
        elif not any(row is tracked for tracked in self._tracked):
            self._added.append(row)

    def add_all(self, rows: Iterable[object]) -> None:
        for row in rows:
            self.add(row)

    async def delete(self, row: object) -> None:
        if self._orm is None and any(row is tracked for tracked in self._tracked):
            self._tracked = [tracked for tracked in self._tracked if tracked is not row]
            if inspect(row).key is not None:
                self._deleted.append(row)
            return
        await self._hop(lambda: self._session().delete(row))

    def expunge(self, row: object) -> None:
        if self._orm is not None:
            self._orm.expunge(row)
        self._tracked = [kept for kept in self._tracked if kept is not row]
        self._added = [kept for kept in self._added if kept is not row]

    def __contains__(self, row: object) -> bool:
        if self._orm is not None:
            return row in self._orm
        return any(row is kept for kept in (*self._tracked, *self._added))

    @asynccontextmanager
    async def begin_nested(self) -> AsyncIterator[None]:
        """A SAVEPOINT: rolled back alone when the block raises (its error goes on)."""
        nested = await self._hop(lambda: self._session().begin_nested())
        try:
            yield
        except BaseException as exc:
            await self._hop(nested.__exit__, type(exc), exc, exc.__traceback__)
            raise
        await self._hop(nested.__exit__, None, None, None)

    async def commit(self) -> None:
        """Write what is pending and commit: one hop (none if nothing was read or written)."""
        if self._connection is None and not self._pending():
            return
        await self._hop(self._commit)

    async def rollback(self) -> None:
        # After any statement still running for a cancelled caller: the worker takes its jobs
        # in order.
        if self._connection is not None:
            await self._hop(self._rollback)

    def _pending(self) -> bool:
        return bool(self._added or self._deleted) or any(
            inspect(row).key is None or inspect(row).modified for row in self._tracked
        )
