"""The state store: every tick's record, the stabilisation history, and every action.

SQLite by default (stdlib ``sqlite3``); PostgreSQL when the URL starts with
``postgresql://`` or ``postgres://`` (``psycopg2``, imported only then). Tables:

- ``ticks(id, started, finished, status, record)``: ``record`` is the tick as JSON:
  demand read, sizing (the plan), decisions per site, actions and their results;
  ``finished`` is NULL while the tick runs, so a crash shows as an unfinished tick.
- ``recommendations(time, endpoint, site, replicas)``: what the stabilisation windows
  need to be rebuilt after a restart.
- ``actions(request_id, ...)``: one row per decided change; ``status`` goes
  ``pending`` -> ``done`` | ``already`` | ``failed`` | ``dry-run`` (recorded, not sent).
  A pending row left by a crash is finished on restart (re-read first, so the change is
  never sent twice).
All writes go through one connection guarded by a lock (the loop and the ops server run
in different threads).
"""

from __future__ import annotations

import itertools
import json
import re
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from ..errors import InputError, TierplanError
from .extras import require

__all__ = ["Store", "open_store"]

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS ticks (
        id INTEGER PRIMARY KEY, started DOUBLE PRECISION NOT NULL, finished DOUBLE PRECISION,
        status TEXT NOT NULL, record TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS recommendations (
        time DOUBLE PRECISION NOT NULL, endpoint TEXT NOT NULL, site TEXT NOT NULL,
        replicas INTEGER NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS recommendations_time ON recommendations (time)",
    """CREATE TABLE IF NOT EXISTS actions (
        request_id TEXT PRIMARY KEY, tick INTEGER NOT NULL, endpoint TEXT NOT NULL,
        site TEXT NOT NULL, from_replicas INTEGER, to_replicas INTEGER NOT NULL,
        status TEXT NOT NULL, attempts INTEGER NOT NULL, error TEXT, updated DOUBLE PRECISION NOT NULL)""",
)

# Each table with the columns the store reads: a file of the same name from elsewhere
# is refused when it opens, not halfway through a tick.
_COLUMNS = {
    "ticks": "id, started, finished, status, record",
    "recommendations": "time, endpoint, site, replicas",
    "actions": "request_id, tick, endpoint, site, from_replicas, to_replicas, status, "
               "attempts, error, updated",
}


class Store:
    def __init__(self, connection: Any, placeholder: str, kind: str) -> None:
        self.conn = connection
        self.ph = placeholder
        self.kind = kind
        self.lock = threading.Lock()
        for statement in _SCHEMA:
            self._run(statement)

    def check_tables(self) -> None:
        """Fail (with the database's error) unless every table has the store's columns."""
        for table, columns in _COLUMNS.items():
            self._run(f"SELECT {columns} FROM {table} LIMIT 0", fetch=True)

    def _sql(self, statement: str) -> str:
        return statement.replace("?", self.ph)

    def _run(self, statement: str, params: Sequence[Any] = (), many: Iterable[Sequence[Any]] | None = None,
             fetch: bool = False) -> list[tuple[Any, ...]]:
        with self.lock:
            cur = self.conn.cursor()
            try:
                if many is not None:
                    cur.executemany(self._sql(statement), list(many))
                else:
                    cur.execute(self._sql(statement), tuple(params))
                rows = list(cur.fetchall()) if fetch else []
                self.conn.commit()
                return rows
            except BaseException:
                self.conn.rollback()
                raise
            finally:
                cur.close()

    # ticks
    def last_tick(self) -> tuple[int, float | None] | None:
        rows = self._run("SELECT id, finished FROM ticks ORDER BY id DESC LIMIT 1", fetch=True)
        return (int(rows[0][0]), rows[0][1]) if rows else None

    def first_tick_time(self) -> float | None:
        rows = self._run("SELECT MIN(started) FROM ticks", fetch=True)
        return float(rows[0][0]) if rows and rows[0][0] is not None else None

    def start_tick(self, tick: int, now: float) -> None:
        self._run("INSERT INTO ticks (id, started, finished, status, record) VALUES (?, ?, NULL, ?, ?)",
                  (tick, now, "running", "{}"))

    def finish_tick(self, tick: int, now: float, status: str, record: dict[str, Any]) -> None:
        self._run("UPDATE ticks SET finished = ?, status = ?, record = ? WHERE id = ?",
                  (now, status, json.dumps(record, sort_keys=True), tick))

    def ticks(self, limit: int = 100) -> list[dict[str, Any]]:
        rows = self._run("SELECT id, started, finished, status, record FROM ticks ORDER BY id DESC LIMIT ?",
                         (limit,), fetch=True)
        return [{"id": r[0], "started": r[1], "finished": r[2], "status": r[3], "record": json.loads(r[4])}
                for r in reversed(rows)]

    # stabilisation history
    def add_recommendations(self, rows: Iterable[tuple[float, str, str, int]]) -> None:
        self._run("INSERT INTO recommendations (time, endpoint, site, replicas) VALUES (?, ?, ?, ?)",
                  many=rows)

    def recommendations_since(self, since: float) -> dict[tuple[str, str], list[tuple[float, int]]]:
        rows = self._run("SELECT time, endpoint, site, replicas FROM recommendations WHERE time >= ? "
                         "ORDER BY time", (since,), fetch=True)
        out: dict[tuple[str, str], list[tuple[float, int]]] = {}
        for t, endpoint, site, n in rows:
            out.setdefault((endpoint, site), []).append((float(t), int(n)))
        return out

    def prune(self, before: float) -> None:
        self._run("DELETE FROM recommendations WHERE time < ?", (before,))

    # actions
    def put_action(self, request_id: str, tick: int, endpoint: str, site: str, from_replicas: int | None,
                   to_replicas: int, status: str, attempts: int, error: str | None, now: float) -> None:
        self._run(
            "INSERT INTO actions (request_id, tick, endpoint, site, from_replicas, to_replicas, status, "
            "attempts, error, updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (request_id) DO "
            "UPDATE SET status = excluded.status, attempts = excluded.attempts, error = excluded.error, "
            "updated = excluded.updated",
            (request_id, tick, endpoint, site, from_replicas, to_replicas, status, attempts, error, now))

    def put_actions(self, rows: Iterable[tuple[str, int, str, str, int | None, int, str, int, str | None,
                                             float]]) -> None:
        """Several actions in one transaction (same columns as :meth:`put_action`)."""
        self._run(
            "INSERT INTO actions (request_id, tick, endpoint, site, from_replicas, to_replicas, status, "
            "attempts, error, updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (request_id) DO "
            "UPDATE SET status = excluded.status, attempts = excluded.attempts, error = excluded.error, "
            "updated = excluded.updated", many=rows)

    def action_status(self, request_id: str) -> str | None:
        rows = self._run("SELECT status FROM actions WHERE request_id = ?", (request_id,), fetch=True)
        return str(rows[0][0]) if rows else None

    def actions(self, status: str | None = None) -> list[dict[str, Any]]:
        query = ("SELECT request_id, tick, endpoint, site, from_replicas, to_replicas, status, attempts, "
                 "error, updated FROM actions")
        rows = self._run(query + (" WHERE status = ?" if status else "") + " ORDER BY tick, request_id",
                         (status,) if status else (), fetch=True)
        keys = ("request_id", "tick", "endpoint", "site", "from_replicas", "to_replicas", "status",
                "attempts", "error", "updated")
        return [dict(zip(keys, r, strict=True)) for r in rows]

    def last_targets(self) -> dict[tuple[str, str], int]:
        """The replica count of the newest applied action per (endpoint, site)."""
        out: dict[tuple[str, str], int] = {}
        for a in self.actions():
            if a["status"] in ("done", "already"):
                out[(a["endpoint"], a["site"])] = int(a["to_replicas"])
        return out

    def last_dry_runs(self) -> dict[tuple[str, str], tuple[int, int]]:
        """Per (endpoint, site) whose newest actions were ``--dry-run`` ones: (the real count
        they started from, the count they would have set), so a dry run goes on from there.

        A dry-run action's ``from`` is the count the run believed (the simulated one); where
        it differs from the previous action's ``to`` the real count changed under the run,
        which starts again from that."""
        chains: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for a in self.actions():
            key = (a["endpoint"], a["site"])
            if a["status"] == "dry-run":
                chains.setdefault(key, []).append(a)
            elif a["status"] in ("done", "already"):
                chains.pop(key, None)  # a real change ends any simulation before it
        out: dict[tuple[str, str], tuple[int, int]] = {}
        for key, chain in chains.items():
            base = int(chain[0]["from_replicas"])
            for prev, a in itertools.pairwise(chain):
                if a["from_replicas"] != prev["to_replicas"]:
                    base = int(a["from_replicas"])
            out[key] = (base, int(chain[-1]["to_replicas"]))
        return out

    def close(self) -> None:
        with self.lock:
            self.conn.close()


def open_store(url: str) -> Store:
    """``sqlite:///path``, a plain path, or ``postgresql://user@host/db``.

    A store that cannot be opened, or holds tables of another shape, is reported with
    its URL (password hidden) before the autoscaler starts: InputError for a SQLite file
    (exit 2), TierplanError for a PostgreSQL server that does not answer."""
    shown = re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", url)
    if url.startswith(("postgresql://", "postgres://")):
        psycopg2 = require("psycopg2", "postgres", f"the PostgreSQL state store {shown}")
        try:
            store = Store(psycopg2.connect(url), "%s", "postgresql")
            store.check_tables()
            return store
        except psycopg2.Error as exc:
            raise TierplanError(f"state store {shown}: {str(exc).strip()}") from None
    path = url[len("sqlite:///"):] if url.startswith("sqlite:///") else url
    try:
        if path != ":memory:":
            Path(path).expanduser().parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path, check_same_thread=False, timeout=30)
        conn.execute("PRAGMA journal_mode=WAL")
        store = Store(conn, "?", "sqlite")
        store.check_tables()
        return store
    except (OSError, sqlite3.Error) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise InputError(f"state store {shown}: {reason}; give --state (or state: in the "
                         "config) a new file or a tierplan state store") from None
