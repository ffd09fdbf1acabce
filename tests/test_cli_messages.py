"""What the commands print on stderr is safe for a terminal (issue 26's leftovers): every
error, note and `wrote` line goes through reports.safe.clean, click's own usage errors
included; and the price-age notes are dated by SOURCE_DATE_EPOCH, never by the calendar."""

from __future__ import annotations

import sys
from datetime import UTC, date, datetime

import pytest
import yaml

import simfiles
from conftest import EXAMPLES, TODAY, run_cli
from tierplan.cli import common
from tierplan.errors import InputError

# A cursor move and a screen clear, a carriage return, a bell, a right-to-left override.
HOSTILE = "\x1b[2J\r\x07\u202e"
SHOWN = "\\x1b[2J\\x0d\\x07\\u202e"


def assert_safe(err: str) -> None:
    for char in "\x1b\r\x07\u202e":
        assert char not in err, repr(err)


def test_validation_errors_show_hostile_names_as_escapes(tmp_path, capsys):
    # The unknown-site error lists the known sites by name, as written in the file.
    site = {"name": "s" + HOSTILE, "tier": "cloud", "location": {"lat": 1, "lon": 2},
            "offerings": [{"name": "o", "usd_per_hour": 1, "accelerator": "L4", "accelerator_count": 1}]}
    job = {"name": "j", "kind": "training", "accelerators": {"L4": 1}, "work_hours": 1, "sites": ["nope"]}
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump({"name": "t", "horizon_hours": 10, "sites": [site],
                                    "workloads": [job, job]}))
    code, _, err = run_cli(capsys, "validate", path)
    assert code == 2
    assert_safe(err)
    assert f"known sites: s{SHOWN}" in err
    # The several problems keep one line each: only the characters inside a line are escaped.
    assert err.startswith(f"tierplan: error: 3 problems in {path}:\n  {path}: ")


def test_a_hostile_file_name_is_shown_as_escapes(tmp_path, capsys):
    path = tmp_path / f"plan{HOSTILE}.yaml"
    code, _, err = run_cli(capsys, "plan", path)
    assert code == 2
    assert_safe(err)
    assert err == f"tierplan: error: {tmp_path}/plan{SHOWN}.yaml: file not found\n"


def test_clicks_own_usage_errors_are_made_safe_too(capsys):
    # click quotes most values with repr(), but not an unexpected extra argument.
    code, _, err = run_cli(capsys, "validate", "a.yaml", "b" + HOSTILE)
    assert code == 2
    assert_safe(err)
    assert err.startswith("Usage: tierplan validate [OPTIONS] SCENARIO\n")
    assert err.endswith(f"Error: Got unexpected extra argument (b{SHOWN})\n")


def test_the_wrote_line_names_a_hostile_output_file_safely(tmp_path, capsys):
    out = tmp_path / f"out{HOSTILE}.json"
    code, _, err = run_cli(capsys, "plan", EXAMPLES / "hub-and-spoke.yaml", "-o", out)
    assert code == 0 and out.exists()
    assert_safe(err)
    assert err.startswith(f"wrote {tmp_path}/out{SHOWN}.json (optimal, ")


# ----------------------------------------------------------------------- the date seam


def epoch(day: date) -> str:
    return str(int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()))


def test_today_is_the_day_source_date_epoch_names():
    assert common.today({"SOURCE_DATE_EPOCH": epoch(date(2027, 3, 4))}) == date(2027, 3, 4)
    assert common.today({"SOURCE_DATE_EPOCH": "1767225599"}) == date(2025, 12, 31)  # 23:59:59 UTC
    for bad in ("yesterday", "1.5e9", "99999999999999999999"):
        with pytest.raises(InputError, match=r"SOURCE_DATE_EPOCH=.*not a date"):
            common.today({"SOURCE_DATE_EPOCH": bad})


def test_tests_run_on_a_fixed_date():
    # conftest sets it for the whole run (and the subprocesses it starts).
    assert common.today() == TODAY


def test_the_price_age_note_follows_the_injected_date_not_the_calendar(capsys, monkeypatch):
    # The bundled catalog's prices are dated (2026); the note counts their days before
    # "today". Each run sets SOURCE_DATE_EPOCH to one day and the machine's calendar to
    # the other: the note must follow the variable.
    before, after = date(2020, 1, 1), date(2035, 1, 1)
    for injected, calendar, note in ((before, after, False), (after, before, True)):
        class Calendar(date):
            @classmethod
            def today(cls, day: date = calendar) -> date:
                return day

        monkeypatch.setattr(common, "date", Calendar)
        monkeypatch.setenv("SOURCE_DATE_EPOCH", epoch(injected))
        code, out, _ = run_cli(capsys, "plan", EXAMPLES / "catalog-bundled.yaml", "--format", "json")
        assert code == 0
        assert ("days old" in out) is note
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    assert common.today() == before  # unset: the calendar (here, the fake one)


def test_a_bad_source_date_epoch_exits_2_before_planning(capsys, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "soon")
    code, out, err = run_cli(capsys, "plan", EXAMPLES / "hub-and-spoke.yaml")
    assert code == 2 and out == ""
    assert err == ("tierplan: error: SOURCE_DATE_EPOCH='soon': not a date; give whole seconds since "
                   "1970-01-01 UTC (e.g. 1767225600 for 2026-01-01), or unset it\n")


def test_a_skipped_parquet_file_is_a_note_not_a_wrote_line(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # as without the parquet extra
    path = simfiles.write(tmp_path, {"duration": "1h", "policies": [{"kind": "greedy"}]})
    code, _, err = run_cli(capsys, "simulate", path, "-o", tmp_path / "out")
    assert code == 0
    assert "tierplan: note: timeseries.parquet skipped: pip install 'tierplan[parquet]'\n" in err
    assert "wrote (" not in err and f"wrote {tmp_path / 'out' / 'report.html'}\n" in err
