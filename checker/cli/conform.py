"""`stmcheck conform NATIVE MODEL`: does the C code implement the design that was model-checked?

For each of N executions, a random schedule is drawn by running the Python
model (`tl2`, `norec`, ...) under the `random` strategy with seed
`seed * 1000003 + i`; the same schedule is then replayed, thread for thread,
on the native design through its adapter (implementations/native/design.py),
which turns every instrumented C access into one machine step. A C design that
implements its model access for access takes exactly the same steps, so both
runs must record the same history (every begin, read with its value, write,
commit and abort, in the same order), end the same way and leave the same
final state. The first execution where they do not is the counterexample:
its schedule, both histories and the first event that differs.

Exit 0: every execution agrees; 1: a divergence; 2: usage error (including a
native core that cannot be built here).
"""

from __future__ import annotations

import sys

import click

from stmcheck.implementations.registry import DesignError, load_design
from stmcheck.models.machine import Machine
from stmcheck.models.workloads import WORKLOADS, make_workload

from ..explore.runtime import Run
from ..explore.strategies.random_walk import RandomWalk
from ..explore.strategies.replay import encode


def _fail(message: str):
    click.echo(f"stmcheck: error: {message}", err=True)
    sys.exit(2)


class _Follow:
    """Replays a schedule exactly; stops (and says why) where it does not fit."""

    fair = True

    def __init__(self, schedule):
        self.schedule = schedule
        self.misfit = None

    def pick(self, run, enabled):
        i = len(run.schedule)
        if i >= len(self.schedule):
            self.misfit = f"the model had finished after {i} steps, the native design can still step {list(enabled)}"
            return None
        t = self.schedule[i]
        if t not in enabled:
            self.misfit = (f"at step {i} the model stepped thread {t}; the native design can only step "
                           f"{list(enabled)}")
            return None
        return t


def _event_text(e) -> str:
    if e is None:
        return "(none: the history ended)"
    text = f"{e['txn']} {e['op']}"
    if e["op"] in ("read", "write"):
        text += f" {e['key']} = {e['value']!r}"
    return text


def first_difference(a: list, b: list):
    """Index of the first event where two histories differ, or None."""
    for i in range(max(len(a), len(b))):
        if i >= len(a) or i >= len(b) or a[i] != b[i]:
            return i
    return None


def compare(native_cls, model_cls, wl, seed: int, max_steps: int):
    """Run one random schedule on both: (None when they agree, else the divergence; steps)."""
    model = Run(model_cls, wl, max_steps).execute(RandomWalk(seed))
    follow = _Follow(list(model.schedule))
    native = Run(native_cls, wl, max_steps).execute(follow)
    diff = first_difference(model.events, native.events)
    same_length = len(native.schedule) == len(model.schedule)
    if (diff is None and follow.misfit is None and same_length and native.outcome == model.outcome
            and native.final == model.final):
        return None, len(model.steps)
    if follow.misfit is not None:
        why = follow.misfit
    elif diff is not None:
        why = "the histories differ"
    elif not same_length:
        why = f"the model took {len(model.schedule)} steps, the native design {len(native.schedule)}"
    elif native.outcome != model.outcome:
        why = f"the model's run ended {model.outcome}, the native one {native.outcome}"
    else:
        why = f"the final states differ: model {model.final}, native {native.final}"
    if native.outcome == "crash" and diff is None:
        why += f" (native crash: {native.detail.get('error')})"
    return {"seed": seed, "schedule": list(model.schedule), "why": why, "index": diff,
            "model": model, "native": native}, len(model.steps)


def _report(d, ctx) -> str:
    model, native, i = d["model"], d["native"], d["index"]
    lines = [f"DIVERGENCE in execution {d['execution']} (random seed {d['seed']}): {d['why']}",
             f"  schedule: {encode(d['schedule'])}"]
    if i is not None:
        me = model.events[i] if i < len(model.events) else None
        ne = native.events[i] if i < len(native.events) else None
        lines += [f"  first differing event: #{i}",
                  f"    model  ({ctx['model']}): {_event_text(me)}",
                  f"    native ({ctx['native']}): {_event_text(ne)}"]
    for name, run in (("model", model), ("native", native)):
        lines.append(f"  {name} history ({ctx[name]}; outcome {run.outcome}, final {run.final}):")
        for k, e in enumerate(run.events):
            mark = "  <-- first difference" if k == i else ""
            lines.append(f"    {k:3}  T{e['thread']}  {_event_text(e)}{mark}")
        if run.outcome == "crash":
            lines.append(f"    crash: {run.detail.get('error')}")
    opts = f"--workload {ctx['workload']} --threads {ctx['threads']} --txns {ctx['txns']}"
    lines += ["  replay either side with:",
              f"    stmcheck replay {ctx['model']} {opts} --schedule {encode(d['schedule'])}",
              f"    stmcheck replay {ctx['native']} {opts} --schedule {encode(d['schedule'])}"]
    return "\n".join(lines)


@click.command()
@click.argument("native", metavar="NATIVE")
@click.argument("model", metavar="MODEL")
@click.option("--executions", "-e", type=click.IntRange(1), default=200, show_default=True,
              help="Random schedules to compare.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the random schedules.")
@click.option("--threads", "-n", type=click.IntRange(1, 16), default=3, show_default=True)
@click.option("--txns", "-k", type=click.IntRange(1, 100), default=2, show_default=True,
              help="Transactions per thread.")
@click.option("--workload", "-w", type=click.Choice(list(WORKLOADS)), default="transfer", show_default=True,
              help="Native designs hold integers: transfer or counter.")
@click.option("--keys", "-m", type=click.IntRange(1, 100), default=None, help="Accounts or counters.")
@click.option("--max-steps", type=click.IntRange(10), default=2000, show_default=True)
def conform(native, model, executions, seed, threads, txns, workload, keys, max_steps):
    """Run the same random schedules on a native (C) design and on its Python model.

    \b
    Examples:
      stmcheck conform native-tl2 tl2 --executions 500 --seed 1
      stmcheck conform native-norec norec --threads 2 --txns 3
    \b
    Exit status: 0 every execution agrees, 1 a divergence (shown with its
    schedule and both histories), 2 usage error.
    """
    try:
        native_cls, _ = load_design(native)
        model_cls, _ = load_design(model)
        wl = make_workload(workload, threads, txns, keys)
    except (DesignError, ValueError) as exc:
        _fail(str(exc))
    try:  # build errors (no compiler), non-integer keys: say so before running anything
        native_cls(Machine(), dict(wl.keys), threads)
    except Exception as exc:
        _fail(f"{native}: {exc}")
    ctx = {"native": native, "model": model, "workload": workload, "threads": threads, "txns": txns}
    click.echo(f"stmcheck conform {native} {model}: {workload}, {threads} threads, {txns} transaction(s) each, "
               f"{executions} random schedules from seed {seed}")
    steps = 0
    for i in range(executions):
        d, n = compare(native_cls, model_cls, wl, seed * 1_000_003 + i, max_steps)
        steps += n
        if d is not None:
            d["execution"] = i
            click.echo(_report(d, ctx))
            sys.exit(1)
    click.echo(f"conforms: all {executions} executions agree ({steps} steps; same steps, histories, "
               f"outcomes and final states)")
    sys.exit(0)
