"""`stmcheck stress IMPL`: run a native STM on real threads, record, check.

IMPL is a native design (`native-tl2`, `native-norec`, the broken
`native-tl2-no-read-validation` and `native-tl2-no-commit-validation`, or
`FILE.c:SYMBOL` for your own C design written against
implementations/native/stm.h) or `libitm` (GCC's transactional memory, with
`--method`). How the rounds are checked, and why these default criteria:
checker/native/stress.py.

Exit status: 0 clean, 1 a violation (or a crash, or money created or
destroyed), 2 usage error or no native toolchain, 3 inconclusive.
"""

from __future__ import annotations

import json
import sys
import time

import click

from stmcheck.implementations.native.build import NativeUnavailable
from stmcheck.implementations.native.stress import ITM_METHODS, itm_rounds, native_rounds

from ..history.criteria import CRITERIA
from ..native.stress import DEFAULT_CRITERIA, run_stress
from ..report.stress import summary_json, summary_lines
from ..report.junit import stress_suites
from .options import FiniteFloatRange, fail, junit_option, no_timings_option, write_junit


@click.command()
@click.argument("impl")
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 64))
@click.option("--seconds", default=10.0, show_default=True, type=FiniteFloatRange(min=0, min_open=True),
              help="Budget for the whole run, recording and checking.")
@click.option("--accounts", default=4, show_default=True, type=click.IntRange(2, 100000),
              help="Bank accounts; fewer means more conflicts.")
@click.option("--seed", default=0, show_default=True, type=int)
@click.option("--max-txns", default=5000, show_default=True, type=click.IntRange(100),
              help="Attempts recorded per round; each round's history is checked separately.")
@click.option("--noise", default=0.02, show_default=True, type=FiniteFloatRange(0, 1),
              help="Fraction of shared accesses (libitm: of logged reads and writes) at which a thread "
                   "yields its CPU or spins briefly, so threads interleave inside transactions; "
                   "0 for undisturbed timing.")
@click.option("--method", type=click.Choice(ITM_METHODS), default="ml_wt", show_default=True,
              help="libitm only: the method (ITM_DEFAULT_METHOD).")
@click.option("--criterion", "-c", "criteria", multiple=True, type=click.Choice(CRITERIA),
              help="Criterion to check (repeatable). Default: strict-serializability and opacity.")
@click.option("--timeout", default=60.0, show_default=True, type=FiniteFloatRange(min=0, min_open=True),
              help="Check budget per round (z3); when it runs out the verdict is inconclusive.")
@click.option("--keep", type=click.Path(dir_okay=False), help="Write the last round's history "
              "(the violating one, if any) here; .jsonl for JSON Lines.")
@click.option("--json", "as_json", is_flag=True,
              help="Print one JSON object on stdout. The design is under `implementation`, as in every "
                   "command's JSON, and under `impl` too, for scripts written before.")
@no_timings_option
@junit_option
def stress(impl, threads, seconds, accounts, seed, max_txns, noise, method, criteria, timeout, keep, as_json,
           junit):
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
        fail(str(exc))
    label += f": {threads} threads, {accounts} accounts, {seconds:g} s, seed {seed}"
    if as_json:
        doc = {"implementation": impl, "impl": impl, "method": method if impl == "libitm" else None,
               "threads": threads, "accounts": accounts, "seconds": seconds, "seed": seed,
               "max_txns": max_txns, "noise": noise,
               "criteria": list(criteria), **summary_json(summary), "kept": keep}
        click.echo(json.dumps(doc, indent=2))
    else:
        click.echo("\n".join(summary_lines(impl, label, summary, keep)))
    write_junit(junit, stress_suites(impl, criteria, summary, "\n".join(summary_lines(impl, label, summary, keep))))
    sys.exit({"clean": 0, "violated": 1, "crash": 1, "inconclusive": 3}[summary.verdict])
