"""stmcheck: a model checker and test harness for Software Transactional Memory designs.

The repository root is this package; its subpackages are the layers, each
importing only the ones below it:

    checker/          explores, checks and reports; the `stmcheck` command
    implementations/  STM designs, the registry of shipped ones, native (C) designs
    models/           the vocabulary: machine model, histories, specs, workloads, terms

What a program needs is here, and nothing else is promised:

    import stmcheck
    result = stmcheck.explore("tl2", workload="transfer", threads=2)
    result.verdict          # Verdict.HOLDS: the whole space was explored
    for v in result.violations:
        print(v.kind, v.explanation, v.replay)

- `explore`, `replay`: run a design on simulated threads (README, "Python API");
  `explore`'s result fails a test with `result.assert_correct()` (or
  `assert_violates(kind)`), and `grid` makes one pytest test per cell of a
  design's workloads x threads x criteria (checker/gate/, README "CI gate");
  `programs()` is a hypothesis strategy of transaction programs and `fuzz`
  searches them for a minimal one a design fails.
- `check`, `check_linearizability`, `read_history`, `read_ophistory`: judge
  recorded histories (docs/formats.md).
- `Machine`, `Abort`, `wait_any`: what a design is written against
  (models/machine.py); `Workload`, `Spec`: a program to run, a sequential
  specification to check operations against.
- `DESIGNS`, `WORKLOADS`, `STRATEGIES`, `load_design`: the registries.
- `Criterion`, `Kind`, `Verdict`: the words results are made of;
  `ExploreResult`, `Execution`, `Violation`: results; `UsageError`: bad input.
"""

# Absolute imports, as everywhere in the package: a test runner may load this file on its own,
# as the folder of a checkout whose name is no identifier ("stmcheck-main"), where a relative
# import has no package to be relative to.
from stmcheck.checker.api import UsageError, check, check_linearizability, replay
from stmcheck.checker.gate import explore, fuzz, grid, programs
from stmcheck.checker.explore.engine import Violation
from stmcheck.checker.explore.result import Execution, ExploreResult
from stmcheck.checker.explore.strategies import STRATEGIES
from stmcheck.implementations.registry import DESIGNS, load_design
from stmcheck.models.formats import read_history
from stmcheck.models.machine import Abort, Machine, wait_any
from stmcheck.models.opformats import read_ophistory
from stmcheck.models.specs import Spec
from stmcheck.models.terms import Criterion, Kind, Verdict
from stmcheck.models.workloads import WORKLOADS, Workload

__all__ = [
    "explore", "grid", "programs", "fuzz", "replay", "check", "check_linearizability", "read_history", "read_ophistory",
    "Machine", "Abort", "wait_any", "Workload", "Spec",
    "DESIGNS", "WORKLOADS", "STRATEGIES", "load_design",
    "Criterion", "Kind", "Verdict", "ExploreResult", "Execution", "Violation", "UsageError",
]
