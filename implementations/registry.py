"""Names of the shipped designs, with the verdicts each is expected to earn.

`EXPECTED[workload]` is the kind of counterexample the design must produce on
that workload with 2 threads ("clean" when none): the tests hold every shipped
design to it, and `stmcheck explore` shows it next to the verdict, so a
surprise is visible at once. `load_design` also accepts `path/to/file.py:Class`
for a user's own design; a user design has no expectations.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Entry:
    name: str
    module: str
    cls: str
    about: str
    expected: dict = field(default_factory=dict)

    def load(self):
        return getattr(importlib.import_module(f"stmcheck.implementations.{self.module}"), self.cls)


CLEAN, DEADLOCK, LIVELOCK, OPACITY = "clean", "deadlock", "livelock", "opacity"
SERIAL = "serializability"  # the first criterion a broken variant fails

DESIGNS = {e.name: e for e in (
    Entry("global-lock", "global_lock", "GlobalLock", "one lock around every transaction (the GIL model)",
          {"transfer": CLEAN, "swap": CLEAN, "counter": CLEAN}),
    Entry("locks-naive", "locks_naive", "LocksNaive", "a lock per key, taken at first access, released at commit",
          {"transfer": DEADLOCK, "swap": DEADLOCK, "counter": CLEAN}),
    Entry("tl2", "tl2", "TL2", "TL2: global version clock, versioned write locks, commit-time locking",
          {"transfer": CLEAN, "swap": CLEAN, "counter": CLEAN}),
    Entry("tl2-no-read-validation", "tl2_no_read_validation", "TL2NoReadValidation",
          "TL2 without the post-read version check (not opaque)",
          {"transfer": OPACITY, "swap": OPACITY, "counter": CLEAN}),
    Entry("norec", "norec", "NOrec", "NOrec: one global sequence lock, value-based validation, no ownership records",
          {"transfer": CLEAN, "swap": CLEAN, "counter": CLEAN}),
    Entry("eager-aggressive", "eager_aggressive", "EagerAggressive",
          "encounter-time locking, undo log, abort the owner on conflict",
          {"transfer": LIVELOCK, "swap": LIVELOCK, "counter": LIVELOCK}),
    # The catalogue (issue 4): correct designs, then broken variants named for their bug.
    Entry("locks-ordered", "locks_ordered", "LocksOrdered",
          "a lock per key, all taken in one global order (acquire_all_locks, key set learned by restart)",
          {"transfer": CLEAN, "swap": CLEAN, "counter": CLEAN}),
    Entry("lazy", "lazy", "Lazy", "the post's STM: versioned reads, redo log, commit locks, validates, writes back",
          {"transfer": OPACITY, "swap": OPACITY, "counter": CLEAN}),     # strictly serializable, not opaque
    Entry("lazy-incremental", "lazy_incremental", "LazyIncremental", "lazy, validating the read set on every read",
          {"transfer": CLEAN, "swap": CLEAN, "counter": CLEAN}),
    Entry("gencounter", "gencounter", "GenCounter", "global generation counter checked and bumped under one lock",
          {"transfer": OPACITY, "swap": OPACITY, "counter": CLEAN}),     # strictly serializable, not opaque
    Entry("tl2-no-commit-validation", "tl2_no_commit_validation", "TL2NoCommitValidation",
          "TL2 without read-set validation at commit (write skew, lost update)",
          {"transfer": SERIAL, "swap": SERIAL, "counter": SERIAL}),
    Entry("lazy-unlocked-commit", "lazy_unlocked_commit", "LazyUnlockedCommit",
          "lazy, validating and writing back without locks (lost update)",
          {"transfer": SERIAL, "swap": SERIAL, "counter": SERIAL}),
    Entry("locks-early-release", "locks_early_release", "LocksEarlyRelease",
          "a lock per key, released right after each access (not two-phase)",
          {"transfer": SERIAL, "swap": SERIAL, "counter": SERIAL}),
    Entry("gencounter-racy", "gencounter_racy", "GenCounterRacy",
          "gencounter checking and bumping the counter without the lock (lost update)",
          {"transfer": SERIAL, "swap": SERIAL, "counter": SERIAL}),
    Entry("tl2-readonly-unchecked", "tl2_readonly_unchecked", "TL2ReadonlyUnchecked",
          "TL2 whose (so far) read-only transactions skip the post-read check",
          {"transfer": OPACITY, "swap": CLEAN, "counter": CLEAN}),       # read-only bug: tests/test_catalogue.py
    # C designs (implementations/native/): the bank workload only; built at first use.
    Entry("native-tl2", "native.design", "NativeTL2", "TL2 in C11, one scheduling point per shared access",
          {"transfer": CLEAN}),
    Entry("native-norec", "native.design", "NativeNOrec", "NOrec in C11: one sequence lock, value-based validation",
          {"transfer": CLEAN}),
    Entry("native-tl2-no-read-validation", "native.design", "NativeTL2NoReadValidation",
          "native TL2 without the post-read version check (not opaque)", {"transfer": OPACITY}),
)}


class DesignError(ValueError):
    """The design named on the command line cannot be loaded."""


def load_design(spec: str):
    """`(class, entry or None)` for a registered name or `path/to/file.py:Class`."""
    if spec in DESIGNS:
        return DESIGNS[spec].load(), DESIGNS[spec]
    if ":" not in spec:
        raise DesignError(f"unknown design {spec!r}: expected one of {', '.join(DESIGNS)}, "
                          f"or path/to/file.py:ClassName")
    path, _, name = spec.rpartition(":")
    if not os.path.isfile(path):
        raise DesignError(f"{path}: no such file (in design {spec!r})")
    mod_name = "stmcheck_user_design_" + os.path.splitext(os.path.basename(path))[0].replace("-", "_")
    module_spec = importlib.util.spec_from_file_location(mod_name, path)
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[mod_name] = module
    try:
        module_spec.loader.exec_module(module)
    except Exception as exc:  # the user's file: report, never crash
        raise DesignError(f"{path}: importing it failed: {type(exc).__name__}: {exc}") from None
    cls = getattr(module, name, None)
    if cls is None:
        raise DesignError(f"{path} defines no {name!r}")
    missing = [m for m in ("begin", "read", "write", "commit", "abort") if not callable(getattr(cls, m, None))]
    if missing:
        raise DesignError(f"{spec}: the design lacks {', '.join(missing)} (see the interface in "
                          f"stmcheck.models.machine)")
    return cls, None
