"""The pytest plugin (entry point `stmcheck` in the `pytest11` group; `pytest -p stmcheck`).

What it adds to a test session: the fixture `stm_explore` (`stmcheck.explore`,
whose results fail tests with stmcheck's report), a header line saying the
plugin is active, and the `stmcheck` marker for tests that gate a design (so
`pytest -m stmcheck` runs only those). `stmcheck.grid` works without it.
"""

from __future__ import annotations

import pytest

from .results import explore


def pytest_configure(config):
    config.addinivalue_line("markers", "stmcheck: a test that gates an STM design with stmcheck")


def pytest_report_header(config):
    return "stmcheck: STM designs gated by exploration (stmcheck.explore, stmcheck.grid, fixture stm_explore)"


def pytest_collection_modifyitems(items):
    for item in items:   # every cell of a grid is a gate: `-m stmcheck` selects them
        callspec = getattr(item, "callspec", None)
        if callspec is not None and "stm_cell" in callspec.params:
            item.add_marker(pytest.mark.stmcheck)


@pytest.fixture
def stm_explore():
    """`stmcheck.explore`: explore a design; `.assert_correct()` on the result fails the test
    with the counterexample's timeline, anomaly and replay command."""
    return explore
