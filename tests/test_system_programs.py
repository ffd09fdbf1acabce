"""Tests that need a system program skip on a developer's machine and fail in CI."""

from __future__ import annotations

import pytest

from conftest import chromium, system_program_missing


@pytest.mark.parametrize("ci", ["", "false"])
def test_a_missing_program_skips_with_the_install_hint(monkeypatch, ci):
    monkeypatch.setenv("CI", ci)
    with pytest.raises(pytest.skip.Exception, match="apt-get install -y chromium"):
        system_program_missing("Chromium is needed: apt-get install -y chromium")


@pytest.mark.parametrize("ci", ["true", "TRUE", "1"])
def test_a_missing_program_fails_under_ci(monkeypatch, ci):
    monkeypatch.setenv("CI", ci)
    with pytest.raises(pytest.fail.Exception, match="CI=true: this test must run in CI"):
        system_program_missing("Chromium is needed: apt-get install -y chromium")


def test_chromium_hidden_from_path_skips_the_browser_tests_or_fails_them_in_ci(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty folder: no browser on it
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match=r"apt-get install -y chromium"):
        chromium()
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match=r"apt-get install -y chromium"):
        chromium()
