"""Every test is `unit` or `integration` (issue 22), and a `unit` test stays in process."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
from types import SimpleNamespace

import pytest

from markers import UNMARKED, IntegrationOnly, marker_problems, unit_guard

pytestmark = pytest.mark.unit


def test_every_collected_test_is_marked_unit_or_integration(request):
    problems = request.session.stash[UNMARKED]
    assert problems == [], (
        "mark each of these tests 'unit' or 'integration' (a module's `pytestmark`, or "
        "@pytest.mark.unit on the test; see docs/development.md, Tests):\n  " + "\n  ".join(problems))


def _item(nodeid, *names):
    return SimpleNamespace(nodeid=nodeid, iter_markers=lambda: [SimpleNamespace(name=n) for n in names])


def test_marker_problems_names_unmarked_and_doubly_marked_tests():
    items = [_item("t.py::a", "unit"), _item("t.py::b", "parametrize"),
             _item("t.py::c", "unit", "integration"),
             _item("t.py::d", "integration", "integration")]  # a class's and a module's mark
    assert marker_problems(items) == ["t.py::b: neither 'unit' nor 'integration'",
                                      "t.py::c: both 'unit' and 'integration'"]


def test_the_guard_refuses_what_only_an_integration_test_may_do():
    from tierplan.cli import main

    def bind():
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))

    def connect():
        with socket.socket() as s:
            s.connect(("127.0.0.1", 9))

    attempts = {
        "starts a subprocess": lambda: subprocess.run([sys.executable, "-c", "pass"], check=True),
        "binds a socket (a server)": bind,
        "connects a socket": connect,
        "runs the tierplan command (click)": lambda: main(["--version"]),
    }
    patched = (subprocess.Popen.__init__, socket.socket.bind, socket.socket.connect)
    for what, attempt in attempts.items():
        with unit_guard() as refused, pytest.raises(IntegrationOnly, match=re.escape(f"this test {what}")):
            attempt()
        assert refused == [what]
    # After the block, the methods are the ones from before it again.
    assert (subprocess.Popen.__init__, socket.socket.bind, socket.socket.connect) == patched


def test_a_unit_test_that_the_guard_catches_fails_even_when_the_code_swallows_it(pytester):
    pytester.makeconftest("from markers import unit_tests_stay_in_process  # noqa: F401\n")
    pytester.makepyfile(test_kinds="""
        import subprocess, sys
        import pytest

        @pytest.mark.unit
        def test_unit_runs_a_process():
            try:
                subprocess.run([sys.executable, "-c", "pass"])
            except BaseException:
                pass

        @pytest.mark.unit
        def test_unit_computes():
            assert 1 + 1 == 2
        """)
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "-W", "ignore")
    # The test's own body passed (it swallowed the refusal); its teardown fails it.
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(["*ERROR at teardown of test_unit_runs_a_process*",
                                 "*a 'unit' test that starts a subprocess: mark it 'integration'*"])
