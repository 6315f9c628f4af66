"""Workloads: the transaction programs the simulated threads run, one module each.

What a workload is (`Workload`: transactions per thread, keys, an end-state
invariant; the retry policy; `run_serial`) is in base.py. `WORKLOADS` below is
the one registry of them all: a new workload is a module here and one entry
in it. `make_workload` builds one by name (`random:SEED` for a seeded random
workload); objects.py builds the method-call programs of `--object KIND`.
"""

from __future__ import annotations

from .base import Workload, run_serial  # noqa: F401  (re-exported: the public home)
from .counter import Counter
from .dict_update import DictUpdate
from .intset import IntSet
from .outside import PrintCounter, PrintInBatch, Privatize, Publish
from .random_programs import GivenPrograms, RandomPrograms
from .swap import Swap
from .transfer import Transfer
from .write_skew import WriteSkew
from .ww_pathology import WWPathology

WORKLOADS = {w.name: w for w in (Transfer, Swap, Counter, WriteSkew, DictUpdate, IntSet, WWPathology,
                                 RandomPrograms)}
DEFAULT_WORKLOAD = "transfer"
#: Programs with steps outside transactions (I/O, privatization, publication): judged by the
#: GIL criterion only, so kept out of the verdict matrix's columns (`--criterion gil`).
OUTSIDE_WORKLOADS = {w.name: w for w in (Privatize, Publish, PrintCounter, PrintInBatch)}


def workload_class(name: str):
    """`(class, seed)` for a workload name; `random:SEED` names a seeded random workload.

    The seed is part of the name so that everything that rebuilds a workload by
    name (replay commands, shrinking, the matrix) rebuilds the same programs."""
    base, sep, seed = name.partition(":")
    if base == "programs" and sep:
        return GivenPrograms, None
    cls = WORKLOADS.get(base) or OUTSIDE_WORKLOADS.get(base)
    if cls is None:
        raise ValueError(f"unknown workload {name!r} (expected one of {', '.join(WORKLOADS)}, "
                         f"{', '.join(OUTSIDE_WORKLOADS)}, or random:SEED)")
    if not sep:
        return cls, None
    if not getattr(cls, "seeded", False):
        raise ValueError(f"workload {base} takes no seed (only random:SEED does)")
    if not (seed.isascii() and seed.isdigit()):
        raise ValueError(f"workload {name!r}: the seed must be a non-negative integer")
    return cls, int(seed)


def make_workload(name: str, threads: int, txns: int = 1, keys: int | None = None,
                  retries: int | None = None) -> Workload:
    """Build a workload by name (raises ValueError with the valid names); `programs:SPEC` names
    programs given one by one (`random_programs.encode`: what `stmcheck.fuzz` finds)."""
    if name.startswith("programs:"):
        return GivenPrograms.from_name(name[len("programs:"):], threads, txns, keys, retries)
    cls, seed = workload_class(name)
    if seed is not None:
        return cls(threads, txns, keys, retries, seed=seed)
    return cls(threads, txns, keys, retries)
