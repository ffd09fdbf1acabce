"""The two kinds of test: the rule that marks each one, and the guard that checks it.

A test is ``integration`` when it runs the ``tierplan`` command (in-process or not), a
subprocess, worker processes, a browser, PostgreSQL, a fake server on a socket or
moto, or works on the shipped examples, or is a long property or soak run; else
``unit``: inside this process, on small inputs, fast.

- An explicit mark wins: a module's ``pytestmark`` or ``@pytest.mark.unit`` /
  ``@pytest.mark.integration`` on the test (needed where the rule cannot see, e.g. a
  plan with ``workers=2``, or a test that is slow).
- Otherwise :func:`inferred_kind` reads the test's code: it is ``integration`` when the
  test, a fixture it uses or a helper of the tests folder it calls names one of
  :data:`INTEGRATION_NAMES` (``run_cli``, ``subprocess``, ``FakeServer``, ``EXAMPLES``...).
- While a ``unit`` test runs, :func:`unit_guard` refuses (and fails the test for) what
  only an integration test may do, so a wrong kind, inferred or written, cannot stay.
- ``test_markers.py`` fails if a test ends up with neither kind or with both.
"""

from __future__ import annotations

import functools
import inspect
import multiprocessing.process
import os
import socket
import subprocess
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import CodeType, FunctionType, ModuleType
from typing import Any

import click
import pytest

KINDS = ("unit", "integration")

TESTS = Path(__file__).resolve().parent

INTEGRATION_NAMES = frozenset({
    # the tierplan command, in-process or as a program
    "run_cli", "cli_run", "main", "CliRunner", "subprocess", "Popen",
    # system programs and servers: a browser, PostgreSQL, fake HTTP servers, moto
    "chromium", "system_program_missing", "postgres", "postgresql", "psycopg2", "FakeServer", "HTTPServer",
    "ThreadingHTTPServer", "socket", "urllib", "mock_aws", "ThreadedMotoServer",
    # worker processes
    "ProcessPoolExecutor", "multiprocessing",
    # the shipped examples, whole
    "EXAMPLES",
})
"""Names whose use in a test's code (or its fixtures' and helpers'), or a parameter of
the test with one of these values (``store_url[postgresql]``), make it integration."""


def _code_objects(code: CodeType) -> Iterator[CodeType]:
    yield code
    for const in code.co_consts:
        if isinstance(const, CodeType):
            yield from _code_objects(const)


def _is_ours(obj: Any) -> bool:
    """Whether ``obj`` is a function or a module of the tests folder (not a library's)."""
    if isinstance(obj, FunctionType):
        file = obj.__code__.co_filename
    elif isinstance(obj, ModuleType):
        file = getattr(obj, "__file__", None) or ""
    else:
        return False
    return _in_tests(file)


@functools.cache
def _in_tests(file: str) -> bool:
    path = Path(file).resolve()
    return path.is_relative_to(TESTS) and path != Path(__file__).resolve()  # not this guard


def _uses_integration(func: FunctionType, seen: set[int]) -> bool:
    """Whether ``func``'s code, or a tests-folder function it names, names an
    integration name or an ``examples`` path."""
    if id(func) in seen:
        return False
    seen.add(id(func))
    for code in _code_objects(func.__code__):
        names = set(code.co_names) | set(code.co_freevars)
        if names & INTEGRATION_NAMES or "examples" in code.co_consts:
            return True
        for name in code.co_names:
            obj = func.__globals__.get(name)
            if isinstance(obj, ModuleType) and _is_ours(obj):
                # helpers reached as module.attribute (simfiles.cli_run)
                called = [getattr(obj, attr, None) for attr in code.co_names]
            else:
                called = [obj]
            for target in called:
                target = inspect.unwrap(target) if callable(target) else target  # @contextmanager
                if isinstance(target, FunctionType) and _is_ours(target) and _uses_integration(target, seen):
                    return True
    return False


def inferred_kind(item: pytest.Item) -> str:
    """``integration`` or ``unit`` for a test without an explicit mark (the rule above)."""
    callspec = getattr(item, "callspec", None)
    if callspec is not None and any(isinstance(v, str) and v in INTEGRATION_NAMES
                                    for v in callspec.params.values()):
        return "integration"
    funcs = [getattr(item, "function", None)]
    # The fixtures the test uses, with the functions that define them (pytest's own
    # fixtures, tmp_path and capsys, live outside the tests folder and are skipped).
    info = getattr(item, "_fixtureinfo", None)
    for defs in (info.name2fixturedefs.values() if info is not None else ()):
        funcs.extend(d.func for d in defs)
    seen: set[int] = set()
    for func in funcs:
        func = inspect.unwrap(func) if callable(func) else func
        if isinstance(func, FunctionType) and _is_ours(func) and _uses_integration(func, seen):
            return "integration"
    return "unit"


def marker_problems(items: Iterable[pytest.Item]) -> list[str]:
    """One line per test that is not marked with exactly one of :data:`KINDS`."""
    problems = []
    for item in items:
        kinds = sorted({m.name for m in item.iter_markers() if m.name in KINDS})
        if len(kinds) != 1:
            what = "neither 'unit' nor 'integration'" if not kinds else "both 'unit' and 'integration'"
            problems.append(f"{item.nodeid}: {what}")
    return problems


class IntegrationOnly(BaseException):
    """Raised where a ``unit`` test does what only an ``integration`` test may do.

    A BaseException, so that the code under test (which may catch Exception, as the
    CLI's boundary does) cannot swallow it; the guard also records it for teardown."""


def _click_main_owner() -> type:
    return next(c for c in click.Group.__mro__ if "main" in c.__dict__)


def _is_cbc(argv: Any) -> bool:
    """Whether ``argv`` runs the CBC solver program: PuLP solves with CBC by running it
    (the one the ``pulp[cbc]`` extra installs), but to the planner it is a library
    (milliseconds, no state, nothing outside the package), so a unit test may use it."""
    program = argv[0] if isinstance(argv, list | tuple) and argv else argv
    return isinstance(program, str | os.PathLike) and Path(program).name == "cbc"


@contextmanager
def unit_guard() -> Iterator[list[str]]:
    """Within the block, refuse what only an integration test may do; yield the list of
    what was refused (for the caller to fail on, in case the code under test caught it)."""
    refused: list[str] = []
    targets: list[tuple[Any, str, str]] = [
        (_click_main_owner(), "main", "runs the tierplan command (click)"),
        (subprocess.Popen, "__init__", "starts a subprocess"),
        (multiprocessing.process.BaseProcess, "start", "starts a worker process"),
        (socket.socket, "connect", "connects a socket"),
        (socket.socket, "bind", "binds a socket (a server)"),
    ]
    # None: the method is inherited (socket.socket's come from _socket.socket).
    saved = [(owner, name, owner.__dict__.get(name)) for owner, name, _ in targets]

    popen_init = subprocess.Popen.__init__

    def refuse(what: str) -> Callable[..., Any]:
        def refused_call(*args: Any, **kwargs: Any) -> Any:
            if what == "starts a subprocess" and _is_cbc(args[1] if len(args) > 1 else kwargs.get("args")):
                return popen_init(*args, **kwargs)
            refused.append(what)
            raise IntegrationOnly(f"this test {what}: mark it 'integration' "
                                  "(see docs/development.md, Tests)")
        return refused_call

    for owner, name, what in targets:
        setattr(owner, name, refuse(what))
    try:
        yield refused
    finally:
        for owner, name, original in saved:
            if original is None:
                delattr(owner, name)
            else:
                setattr(owner, name, original)


UNMARKED = pytest.StashKey[list[str]]()
"""The session's tests that are not marked with exactly one kind (see marker_problems)."""


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects, so that it selects by these marks
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config,
                                  items: list[pytest.Item]) -> None:
    """Mark each test without an explicit kind by :func:`inferred_kind`; keep the list of
    tests that still have neither kind or both, for test_markers.py."""
    for item in items:
        if not any(m.name in KINDS for m in item.iter_markers()):
            item.add_marker(inferred_kind(item))
    session.stash[UNMARKED] = marker_problems(items)


@pytest.fixture(autouse=True)
def unit_tests_stay_in_process(request: pytest.FixtureRequest) -> Iterator[None]:
    """Run a ``unit`` test (and its function-scoped fixtures) under :func:`unit_guard`,
    and fail it if it did what only an integration test may do, even if the code under
    test caught the refusal."""
    if request.node.get_closest_marker("unit") is None:
        yield
        return
    with unit_guard() as refused:
        yield
    if refused:
        pytest.fail(f"a 'unit' test that {'; '.join(sorted(set(refused)))}: mark it 'integration' "
                    "(docs/development.md, Tests)", pytrace=False)
