"""`stmcheck stress IMPL`: run a native STM on real threads, record, check.

IMPL is a native design (`native-tl2`, `native-norec`, the broken
`native-tl2-no-read-validation` and `native-tl2-no-commit-validation`, or
`FILE.c:SYMBOL` for your own C design written against
implementations/native/stm.h) or `libitm` (GCC's transactional memory, with
`--method`).

Checking uses `stress_witness.check_stress`: on these histories the
dependency graph can be read off exactly (unique values, every write
preceded by a read), which decides most rounds in linear time, witness or
cycle; anything else goes to the general checker.

The run is a series of rounds (see implementations/native/stress.py): each
records at most `--max-txns` attempts and is checked on its own, because
checking grows faster than recording (a violated history of 20,000
transactions can take the checker many seconds and gigabytes). `--seconds`
bounds the whole command, recording and checking together; the first
violation ends it.

Default criteria: opacity and strict serializability. Why these: both native
designs and libitm's methods promise opacity (every attempt, even one that
aborts, sees a consistent state), and the threads really run concurrently
under one clock, so real-time order is meaningful; strict serializability
says whether the committed transactions alone are fine when opacity fails,
and costs nothing when opacity holds (its witness is restricted). Plain
serializability is implied by both.

Exit status: 0 clean, 1 a violation (or a crash, or money created or
destroyed), 2 usage error or no native toolchain, 3 inconclusive.
"""

from __future__ import annotations

import json
import sys
import time

import click

from stmcheck.implementations.native.build import NativeUnavailable
from stmcheck.implementations.native.isolate import NativeCrash
from stmcheck.implementations.native.stress import ITM_METHODS, itm_rounds, native_rounds
from stmcheck.models.formats import write_history

from ..history.criteria import CRITERIA
from ..history.stress import check_stress as check_history
from ..history.results import render_cycle

DEFAULT_CRITERIA = ("strict-serializability", "opacity")


class Summary:
    """Totals over the rounds, and the first problem found."""

    def __init__(self):
        self.rounds = self.commits = self.aborts = 0
        self.run_seconds = self.check_seconds = 0.0
        self.transactions = self.events = 0
        self.verdict = "clean"
        self.problem: dict | None = None

    def to_json(self) -> dict:
        rate = (lambda n: round(n / self.run_seconds, 1) if self.run_seconds else None)
        return {"rounds": self.rounds, "commits": self.commits, "aborts": self.aborts,
                "run_seconds": round(self.run_seconds, 4), "commits_per_s": rate(self.commits),
                "aborts_per_s": rate(self.aborts), "history": {"transactions": self.transactions,
                                                               "events": self.events},
                "check_seconds": round(self.check_seconds, 3), "verdict": self.verdict,
                "problem": self.problem}


def run_stress(rounds, criteria, timeout, keep=None, deadline=None) -> Summary:
    """Check every round until a problem, or until `deadline` (monotonic) has passed."""
    s = Summary()
    history = None
    try:
        for rnd in rounds:
            s.rounds += 1
            s.commits += rnd.commits
            s.aborts += rnd.aborts
            s.run_seconds += rnd.seconds
            t0 = time.perf_counter()
            history = rnd.history()
            results = check_history(history, criteria, timeout=timeout)
            s.check_seconds += time.perf_counter() - t0
            s.transactions += len(history.txns)
            s.events += history.events
            bad = [r for r in results if r.holds is False]
            if bad:
                s.verdict = "violated"
                s.problem = {"round": rnd.index, "results": [r.to_json() for r in results],
                             "cycle": render_cycle(bad[0].cycle) if bad[0].cycle else None,
                             "money_conserved": rnd.money_conserved()}
                break
            if not rnd.money_conserved():
                s.verdict = "violated"
                s.problem = {"round": rnd.index, "invariant": "the total balance changed: money was "
                             "created or destroyed by transfers", "results": [r.to_json() for r in results]}
                break
            if any(r.holds is None for r in results):
                s.verdict = "inconclusive"
                s.problem = {"round": rnd.index, "results": [r.to_json() for r in results]}
            if deadline is not None and time.monotonic() >= deadline:
                break
    except NativeCrash as exc:
        s.verdict = "crash"
        s.problem = {"round": getattr(exc, "round", s.rounds), "crash": str(exc)}
        history = None
    finally:
        if hasattr(rounds, "close"):
            rounds.close()  # stops the recording child
    if keep and history is not None:
        write_history(history, keep)
    return s


def _print(impl, label, s: Summary, keep):
    click.echo(f"stress {impl}{label}")
    rate = (lambda n: f"{n / s.run_seconds:,.0f}/s" if s.run_seconds else "-")
    click.echo(f"  rounds     {s.rounds}")
    click.echo(f"  recorded   {s.commits:,} commits ({rate(s.commits)}), {s.aborts:,} aborts "
               f"({rate(s.aborts)}) in {s.run_seconds:.3f} s of running")
    click.echo(f"  history    {s.transactions:,} transactions, {s.events:,} events, checked in "
               f"{s.check_seconds:.2f} s")
    p = s.problem or {}
    if s.verdict == "clean":
        click.echo("  verdict    clean: every criterion holds in every round, and money is conserved")
    elif s.verdict == "crash":
        click.echo(f"  verdict    CRASH in round {p.get('round')}: {p.get('crash')}")
    elif "invariant" in p:
        click.echo(f"  verdict    VIOLATED in round {p['round']}: {p['invariant']}")
    else:
        word = "VIOLATED" if s.verdict == "violated" else "INCONCLUSIVE"
        click.echo(f"  verdict    {word} in round {p.get('round')}")
        for r in p.get("results", []):
            if r["holds"] is not True:
                click.echo(f"    {r['criterion']}: {r.get('anomaly') or 'no answer'}: {r.get('explanation')}")
        if p.get("cycle"):
            click.echo(f"    cycle: {p['cycle']}")
    if keep:
        click.echo(f"  kept       {keep}")


@click.command()
@click.argument("impl")
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 64))
@click.option("--seconds", default=10.0, show_default=True, type=click.FloatRange(min=0, min_open=True),
              help="Budget for the whole run, recording and checking.")
@click.option("--accounts", default=4, show_default=True, type=click.IntRange(2, 100000),
              help="Bank accounts; fewer means more conflicts.")
@click.option("--seed", default=0, show_default=True, type=int)
@click.option("--max-txns", default=5000, show_default=True, type=click.IntRange(100),
              help="Attempts recorded per round; each round's history is checked separately.")
@click.option("--noise", default=0.02, show_default=True, type=click.FloatRange(0, 1),
              help="Fraction of shared accesses (libitm: of logged reads and writes) at which a thread "
                   "yields its CPU or spins briefly, so threads interleave inside transactions; "
                   "0 for undisturbed timing.")
@click.option("--method", type=click.Choice(ITM_METHODS), default="ml_wt", show_default=True,
              help="libitm only: the method (ITM_DEFAULT_METHOD).")
@click.option("--criterion", "-c", "criteria", multiple=True, type=click.Choice(CRITERIA),
              help="Criterion to check (repeatable). Default: strict-serializability and opacity.")
@click.option("--timeout", default=60.0, show_default=True, type=click.FloatRange(min=0, min_open=True),
              help="Check budget per round (z3); when it runs out the verdict is inconclusive.")
@click.option("--keep", type=click.Path(dir_okay=False), help="Write the last round's history "
              "(the violating one, if any) here; .jsonl for JSON Lines.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object on stdout.")
def stress(impl, threads, seconds, accounts, seed, max_txns, noise, method, criteria, timeout, keep, as_json):
    """Stress IMPL on real threads, record every attempt, and check the histories.

    \b
    IMPL: native-tl2, native-norec, native-tl2-no-read-validation,
          native-tl2-no-commit-validation, FILE.c:SYMBOL (your own C STM,
          see implementations/native/stm.h), or libitm (gcc -fgnu-tm, --method).
    \b
    Examples:
      stmcheck stress native-tl2 --threads 8 --seconds 10
      stmcheck stress native-tl2-no-read-validation --keep bad.jsonl
      stmcheck stress libitm --method gl_wt --threads 4
    \b
    Exit status: 0 clean, 1 violation or crash, 2 usage or no C toolchain, 3 inconclusive.
    """
    criteria = criteria or DEFAULT_CRITERIA
    deadline = time.monotonic() + seconds
    try:
        if impl == "libitm":
            rounds = itm_rounds(method, threads, seconds, accounts, seed, max_txns, noise=noise)
            label = f" --method {method} --noise {noise:g}"
        else:
            rounds = native_rounds(impl, threads, seconds, accounts, seed, max_txns, noise=noise)
            label = f" --noise {noise:g}"
        summary = run_stress(rounds, criteria, timeout, keep, deadline)
    except NativeUnavailable as exc:
        click.echo(f"stmcheck: error: {exc}", err=True)
        sys.exit(2)
    label += f": {threads} threads, {accounts} accounts, {seconds:g} s, seed {seed}"
    if as_json:
        doc = {"impl": impl, "method": method if impl == "libitm" else None, "threads": threads,
               "accounts": accounts, "seconds": seconds, "seed": seed, "max_txns": max_txns,
               "noise": noise,
               "criteria": list(criteria), **summary.to_json(), "kept": keep}
        click.echo(json.dumps(doc, indent=2))
    else:
        _print(impl, label, summary, keep)
    sys.exit({"clean": 0, "violated": 1, "crash": 1, "inconclusive": 3}[summary.verdict])
