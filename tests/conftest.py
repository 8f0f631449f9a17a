"""Strict mode: in CI every skipped test fails the run.

A reader's machine may lack a reference framework or the browser, and those tests skip
with a reason saying how to get them. In CI (``CI`` set, or ``SCRATCHDL_STRICT=1``) the
same skip would hide a missing install step, so the session fails and lists the skips.
"""

from __future__ import annotations

import os

import pytest

from tests.oracles import strict

os.environ.setdefault("MPLBACKEND", "Agg")


def pytest_sessionfinish(session, exitstatus):
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if not strict() or reporter is None:
        return
    skipped = reporter.stats.get("skipped", [])
    if skipped:
        reporter.write_line(
            f"strict mode: {len(skipped)} test(s) skipped; in CI every test must run",
            red=True,
        )
        for report in skipped:
            reporter.write_line(f"  skipped: {report.nodeid}: {report.longrepr}")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
