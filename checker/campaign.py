"""Random and PCT campaigns on a Ray cluster: `explore --strategy random|pct --cluster ...`.

Why it can be split: each execution of those strategies draws from a stream of
its own, named by the seed and the execution's number (random_walk.stream; PCT's
k is fixed by the first execution), so execution i is the same wherever it runs.

How: executions 0..N-1 are cut into chunks (`chunk_size`: 200 to 2,000); each
chunk is a Ray task (checker/cluster.py) that runs its executions as the explorer
here would and returns, for each one, what the explorer's loop counts (steps, the
history's signature where it completed, cut, past --max-steps), and the schedule of
each violation. This process reads the chunks in execution order, whatever order they
finish in, and stops where a run here stops: at the first violation (the one with
the lowest execution number: the tie-break that makes it the same one) or at the
budget. The counts are those of the executions up to there; the violation is
rebuilt here from its schedule (and then shrunk, as any other). So the verdict,
the counts and the counterexample are a one-process run's (tests/explore/
test_campaign.py compares them). Chunks past a violation that were already
running are cancelled.

Left out: `--time-limit` stops the campaign between chunks (as anywhere, where it
stops depends on the machine); a design of yours runs in the Ray worker without
the crash watch of a run here (a crash makes its task fail, and the run stops with
an error: explore it without --cluster to get the crash counterexample); native
designs are stepped from Python (their C scheduling loop has its own streams).
"""

from __future__ import annotations

import time

from . import cluster
from .explore.engine import INTERRUPTED, CyclicExplorer, Explorer, Outcome
from .explore.runtime import COMPLETE, CUT, MAX_STEPS
from .explore.strategies import make_strategy
from .explore.strategies.replay import Replay

#: Executions per task, at least: enough that a task's start (building the design and the
#: explorer, sending the records back) is small beside it, few enough that two workers share a
#: short campaign. A long campaign gets about 8 chunks a worker, at most `MAX_CHUNK` executions each.
CHUNK = 200
MAX_CHUNK = 2000


def chunk_size(executions: int, workers: int) -> int:
    return max(CHUNK, min(MAX_CHUNK, executions // (8 * max(1, workers))))
STRATEGIES = ("random", "pct")


def _recording(base):
    class Recording(base):
        """An explorer that also notes, per execution, what the loop counts of it."""

        def __init__(self, *args, **options):
            super().__init__(*args, **options)
            self.records: list = []          # (steps, signature or None, cut, past max-steps, violated)
            self.schedules: list = []        # each violation's schedule, in order

        def judge(self, run, out=None):
            v = super().judge(run, out)
            sig = run.known_signature if run.outcome == COMPLETE else None     # the judge computed it
            self.records.append((len(run.steps), sig, run.outcome == CUT, run.outcome == MAX_STEPS and v is None,
                                 v is not None))
            if v is not None:
                self.schedules.append(list(run.schedule))
            return v
    return Recording


def run_chunk(api, prepare: dict, name: str, seed: int, depth: int, criterion: str, first: int, count: int,
              stop_at_first: bool) -> dict:
    """Executions `first` .. `first + count - 1` of the campaign (a Ray task). `api`: the module with
    `prepare` and `make_explorer` (checker/api.py, which imports this one: handed over, not imported)."""
    setup = api.prepare(**prepare)
    base = CyclicExplorer if setup.config.cyclic else Explorer
    strategy = make_strategy(name, seed=seed, depth=depth)
    if first and name == "pct":       # k comes from the first execution: run it to learn k
        pilot = api.make_explorer(setup, make_strategy(name, seed=seed, depth=depth), criterion=criterion,
                                  explorer_cls=base, max_executions=1, stop_at_first=False)
        pilot.explore()
        strategy.k = pilot.strategy.k
    strategy.index = first
    ex = api.make_explorer(setup, strategy, criterion=criterion, explorer_cls=_recording(base),
                           max_executions=count, stop_at_first=stop_at_first)
    ex.explain = False
    ex.explore()
    return {"records": ex.records, "schedules": ex.schedules, "undecided": ex.undecided}


def explore(api, spec: str, prepare: dict, explorer, name: str, seed: int, depth: int, max_executions: int,
            time_limit: float | None = None) -> Outcome:
    """The campaign's outcome, as `explorer.explore()` would give it here (`explorer`: the one this
    process judges and shrinks with, built for the same setup and strategy; `name` one of
    `STRATEGIES`; `api`: see `run_chunk`)."""
    out = Outcome()
    start = time.monotonic()
    stop_at_first = explorer.stop_at_first
    done: dict = {}
    nxt = 0                       # the next chunk to read, in execution order
    schedules = []
    stopped = False
    bounds = set()
    try:
        with cluster.connect(spec) as ray:
            size = chunk_size(max_executions, cluster.workers(ray))
            chunks = [(api, prepare, name, seed, depth, explorer.criterion, first, min(size, max_executions - first),
                       stop_at_first) for first in range(0, max_executions, size)]
            for i, result in cluster.as_completed(ray, run_chunk, chunks):
                done[i] = result
                while nxt in done and not stopped:
                    stopped = _take(out, done.pop(nxt), schedules, bounds, explorer, stop_at_first)
                    nxt += 1
                    if explorer.progress is not None:
                        explorer.progress(out)
                if stopped or nxt == len(chunks):
                    break
                if time_limit is not None and time.monotonic() - start >= time_limit:
                    bounds.add(f"time-limit {time_limit:g} s")
                    break
    except KeyboardInterrupt:
        bounds.add(INTERRUPTED)
    if not stopped and out.executions == max_executions:
        bounds.add(f"max-executions {max_executions}")
    for schedule in schedules:
        run = explorer.new_run()
        run.execute(Replay(schedule, strict=True))
        v = explorer.judge(run)
        if v is None:           # the same schedule here must break the same criterion
            raise RuntimeError("a counterexample found on the cluster did not replay here: "
                               "the design is not deterministic, or the workers run another stmcheck")
        out.violations.append(v)
    out.bounds = sorted(bounds)
    out.elapsed = time.monotonic() - start
    return out


def _take(out: Outcome, chunk: dict, schedules: list, bounds: set, explorer, stop_at_first: bool) -> bool:
    """Count one chunk's executions into `out`, in order; True where a run here would have stopped."""
    explorer.undecided += chunk["undecided"]
    found = iter(chunk["schedules"])
    for steps, sig, cut, past, violated in chunk["records"]:
        out.executions += 1
        out.steps += steps
        out.cut += cut
        if sig is not None and sig not in out.signatures:
            out.signatures.add(sig)
            out.histories += 1
        if past:
            bounds.add(f"max-steps {explorer.max_steps}")
        if violated:
            schedules.append(next(found))
            if stop_at_first:
                return True
    return False
