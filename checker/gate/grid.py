"""`grid`: one design over workloads x threads x criteria, one pytest test per cell.

    @stmcheck.grid("my_stm.py:MySTM", workloads=["transfer", "write-skew"], threads=[2, 3],
                   expect={"write-skew": "livelock"})
    def test_stm(stm_cell):
        stm_cell.check()

makes the tests `test_stm[MySTM-transfer-2]`, `test_stm[MySTM-write-skew-3]`, ...;
each explores its cell and fails with stmcheck's report unless the outcome is
the one expected: "clean" (the default: proven correct), or the kinds of
counterexample named ("livelock", ["opacity", "livelock"]), found and no other.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from stmcheck.checker.api import UsageError, design_name
from stmcheck.implementations.registry import CLEAN, expected_kinds
from stmcheck.models.terms import Criterion

from .results import GatedResult, explore


@dataclass
class GridCell:
    """One cell of a grid: what to explore and what is expected of it."""

    design: object
    workload: str
    threads: int
    criterion: str
    expected: tuple                   # kinds of counterexample expected; () for clean
    options: dict = field(default_factory=dict)
    allow_unknown: bool = False

    @property
    def id(self) -> str:
        return f"{_short(self.design)}-{self.workload}-{self.threads}"

    def explore(self) -> GatedResult:
        return explore(self.design, self.workload, threads=self.threads, criterion=self.criterion,
                       **({"stop_at_first": False} if len(self.expected) > 1 else {}), **self.options)

    def check(self) -> GatedResult:
        """Explore the cell and fail (`STMCheckFailure`) unless its outcome is the one expected."""
        __tracebackhide__ = True
        result = self.explore()
        if self.expected:
            return result.assert_violates(*self.expected)
        return result.assert_correct(allow_unknown=self.allow_unknown)


def grid(design, workloads=("transfer",), threads=(2,), criteria=(Criterion.OPACITY,), expect=None,
         allow_unknown: bool = False, **options):
    """A `pytest.mark.parametrize` of the argument `stm_cell` over every (workload, threads,
    criterion), ids `DESIGN-WORKLOAD-THREADS` (and `-CRITERION` when several are given).

    `expect`: "clean", a kind ("livelock") or a list of kinds, for every cell; or a dict from a
    workload, or a (workload, threads) pair, to one of those (cells not named: "clean").
    `options` go to `stmcheck.explore` (`txns`, `max_states`, `time_limit`, ...)."""
    import pytest   # only when a test file asks for a grid: `import stmcheck` stays light

    workloads, threads, criteria = _listed(workloads), _listed(threads), _listed(criteria)
    cells, ids = [], []
    for w in workloads:
        for n in threads:
            wanted = _expectation(expect, w, n)
            for c in criteria:
                cell = GridCell(design, w, n, str(c), wanted, dict(options), allow_unknown)
                cells.append(cell)
                ids.append(cell.id + (f"-{c}" if len(criteria) > 1 else ""))
    return pytest.mark.parametrize("stm_cell", cells, ids=ids)


def _listed(x) -> list:
    return [x] if isinstance(x, (str, int)) else list(x)


def _expectation(expect, workload: str, threads: int) -> tuple:
    if isinstance(expect, dict):
        value = expect.get((workload, threads), expect.get(workload, CLEAN))
    else:
        value = CLEAN if expect is None else expect
    try:
        return expected_kinds(value)
    except ValueError as exc:
        raise UsageError(f"expect for {workload} with {threads} threads: {exc}") from None


def _short(design) -> str:
    """A test id's name for a design: its registry name, or the class's name."""
    name = design_name(design)
    return name.rsplit(":", 1)[-1] if ":" in name else name
