"""The CI gate: a design checked from a user's own test suite.

`explore` is the API's (`checker/api.py`) with a result that can fail a test:
`result.assert_correct()` raises `STMCheckFailure` (an AssertionError) whose
message is stmcheck's whole report, the timeline, the anomaly and the replay
command, so pytest shows them under the failing test. `grid` runs one design
over workloads x threads x criteria, one pytest test per cell, each with its
expectation. `programs` draws transaction programs with hypothesis, and `fuzz`
searches them for one a design fails, shrunk to a minimal one. `plugin`
registers it all with pytest (the `pytest11` entry
point `stmcheck`: `pytest -p stmcheck`).

A front end beside the CLI: it may use the renderers (checker/report), and
nothing in the core uses it.
"""

from stmcheck.checker.gate.grid import GridCell, grid
from stmcheck.checker.gate.programs import fuzz, programs
from stmcheck.checker.gate.results import GatedResult, STMCheckFailure, explore

__all__ = ["explore", "grid", "programs", "fuzz", "GatedResult", "GridCell", "STMCheckFailure"]
