"""The state store contract on SQLite and on a real local PostgreSQL server.

PostgreSQL runs only when a server can be started here: ``initdb`` and ``pg_ctl`` on PATH
(Debian: the ``postgresql`` package; its binaries live in /usr/lib/postgresql/*/bin) and,
as root, a non-root account to own the data folder. Otherwise those cases are skipped and
say why, or fail under CI=true (conftest.system_program_missing).
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest

from conftest import system_program_missing
from fakes_autoscale import CLOUD, EDGE, config_dict, write_setup
from tierplan.autoscaler import Autoscaler, FakeClock, load_config, open_store
from tierplan.autoscaler.controllers import DryRunController
from tierplan.autoscaler.metrics.replay import ReplaySource

E = "detector"


def _pg_bin(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return candidates[-1] if candidates else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def postgres_url():
    initdb, pg_ctl = _pg_bin("initdb"), _pg_bin("pg_ctl")
    if not initdb or not pg_ctl:
        system_program_missing("PostgreSQL is needed for the state store tests (no initdb/pg_ctl): "
                               "apt-get install -y postgresql")
    # Not under pytest's tmp folder: that is private to the user running pytest.
    folder = Path(tempfile.mkdtemp(prefix="tierplan-pg-"))
    prefix: list[str] = []
    if os.geteuid() == 0:  # initdb refuses to run as root: hand the folder to an unprivileged account
        import pwd
        for user in ("postgres", "nobody"):
            try:
                entry = pwd.getpwnam(user)
            except KeyError:
                continue
            os.chown(folder, entry.pw_uid, entry.pw_gid)
            prefix = ["su", "-s", "/bin/sh", user, "-c"]
            break
        else:
            system_program_missing("running as root without a 'postgres' or 'nobody' account to own "
                                   "the PostgreSQL database: apt-get install -y postgresql")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        command = " ".join(f"'{a}'" for a in args)
        full = [*prefix, command] if prefix else ["sh", "-c", command]
        return subprocess.run(full, capture_output=True, text=True, timeout=120)

    try:
        yield from _serve(folder, run, initdb, pg_ctl)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _serve(folder, run, initdb, pg_ctl):
    data, port = str(folder / "data"), _free_port()
    init = run(initdb, "-D", data, "-A", "trust", "-U", "tierplan", "--no-sync")
    if init.returncode != 0:
        system_program_missing(f"PostgreSQL's initdb failed: {init.stderr.strip()[:200]}")
    start = run(pg_ctl, "-D", data, "-l", str(folder / "log"), "-w", "-o",
                f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off", "start")
    if start.returncode != 0:
        system_program_missing(f"PostgreSQL did not start: {start.stderr.strip()[:200]}")
    try:
        yield f"postgresql://tierplan@127.0.0.1:{port}/postgres"
    finally:
        run(pg_ctl, "-D", data, "-m", "fast", "-w", "stop")


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path):
    if request.param == "sqlite":
        return str(tmp_path / "state.db")
    url = request.getfixturevalue("postgres_url")
    store = open_store(url)  # each test starts from empty tables
    for table in ("ticks", "recommendations", "actions"):
        store._run(f"DELETE FROM {table}")
    store.close()
    return url


def test_store_contract(store_url):
    store = open_store(store_url)
    assert store.last_tick() is None and store.first_tick_time() is None
    store.start_tick(1, 100.0)
    assert store.last_tick() == (1, None)  # unfinished: a crash would show
    store.add_recommendations([(100.0, E, EDGE, 3), (100.0, E, CLOUD, 0), (50.0, E, EDGE, 9)])
    store.put_action("1/a", 1, E, EDGE, 0, 3, "pending", 0, None, 100.0)
    assert store.action_status("1/a") == "pending"
    store.put_action("1/a", 1, E, EDGE, 0, 3, "done", 2, None, 101.0)  # same request id: an update
    assert [a["status"] for a in store.actions()] == ["done"] and store.actions()[0]["attempts"] == 2
    store.finish_tick(1, 102.0, "ok", {"decisions": [{"site": EDGE, "target": 3}]})
    assert store.last_tick() == (1, 102.0) and store.first_tick_time() == 100.0
    assert store.ticks()[0]["record"] == {"decisions": [{"site": EDGE, "target": 3}]}
    assert store.recommendations_since(60.0) == {(E, EDGE): [(100.0, 3)], (E, CLOUD): [(100.0, 0)]}
    store.prune(60.0)
    assert store.recommendations_since(0.0)[(E, EDGE)] == [(100.0, 3)]
    assert store.last_targets() == {(E, EDGE): 3}
    store.close()
    reopened = open_store(store_url)  # nothing is lost by closing
    assert reopened.last_tick() == (1, 102.0) and reopened.action_status("1/a") == "done"
    reopened.close()


def test_a_restart_against_the_store_continues_where_it_stopped(store_url, tmp_path):
    demand = [(0, E, "munich", 6), (0, E, "berlin", 4), (60, E, "munich", 1), (60, E, "berlin", 0)]
    config = load_config(write_setup(tmp_path, config_dict(), demand=demand))
    clock = FakeClock()
    controllers = {(E, EDGE): DryRunController(), (E, CLOUD): DryRunController()}

    def start():
        store = open_store(store_url)
        source = ReplaySource(str(tmp_path / "demand.csv"),
                              start=lambda: store.first_tick_time() or clock.now())
        scaler = Autoscaler(config, controllers, source, store, clock)
        scaler.resume()
        return scaler, store

    scaler, store = start()
    scaler.tick()
    store.close()
    clock.advance(60)
    scaler, store = start()  # a new process: same store, same pretend endpoints
    record = scaler.tick()
    assert record["tick"] == 2
    assert record["demand"][E] == {"munich": 1.0, "berlin": 0.0}  # the replay continued at 60 s
    edge = next(d for d in record["decisions"] if d["site"] == EDGE)
    assert edge["target"] == 3 and edge["reason"] == "held by the scale-down window"
    store.close()


def test_a_store_that_cannot_be_used_is_an_input_error_naming_it(tmp_path):
    from tierplan.errors import InputError

    (tmp_path / "notes.txt").write_text("not a database, and not a folder either")
    (tmp_path / "plain.db").write_text("not a database" * 100)
    foreign = tmp_path / "foreign.db"
    import sqlite3

    with sqlite3.connect(foreign) as conn:
        conn.execute("CREATE TABLE ticks (name TEXT)")
    for url, reason in ((str(tmp_path), "unable to open database file"),
                        (str(tmp_path / "notes.txt" / "x.db"), "File exists"),
                        (str(tmp_path / "plain.db"), "file is not a database"),
                        (f"sqlite:///{foreign}", "no such column: id")):
        with pytest.raises(InputError) as info:
            open_store(url)
        message = str(info.value)
        assert message.startswith("state store ") and reason in message, message
        assert "a new file or a tierplan state store" in message


def test_a_postgres_store_that_does_not_answer_is_named_without_its_password():
    pytest.importorskip("psycopg2")
    from tierplan.errors import TierplanError

    with pytest.raises(TierplanError) as info:
        open_store(f"postgresql://me:secret@127.0.0.1:{_free_port()}/db")
    message = str(info.value)
    assert message.startswith("state store postgresql://me:***@127.0.0.1:") and "secret" not in message
