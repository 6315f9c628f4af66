"""`stmcheck check HISTORY`: judge a recorded history, per the public contract.

Exit 0: every requested criterion holds; 1: one is violated; 2: usage error or
bad input (one line on stderr, never a traceback); 3: inconclusive.
"""

from __future__ import annotations

import json
import sys

import click

from stmcheck.models.formats import read_history
from stmcheck.models.history import HistoryError

from ..history.criteria import CRITERIA, DEFAULT_CRITERIA, check as check_history
from ..report.check import print_report

LINEARIZABILITY = "linearizability"


def fail_usage(message: str) -> None:
    click.echo(f"stmcheck: error: {message}", err=True)
    sys.exit(2)


def exit_code(results) -> int:
    if any(r.holds is False for r in results):
        return 1
    if any(r.holds is None for r in results):
        return 3
    return 0


@click.command()
@click.argument("history", type=click.Path(dir_okay=True, allow_dash=False))
@click.option("--criterion", "-c", "criteria", multiple=True, metavar="NAME",
              type=click.Choice(CRITERIA + (LINEARIZABILITY,)),
              help="A criterion to check (repeatable). Default: serializability, "
                   "strict-serializability and opacity.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object on stdout (for CI and scripts).")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), metavar="SECONDS",
              help="Budget for the exact (z3) search; when it runs out the verdict is "
                   "inconclusive (exit 3), never a guess.")
@click.option("--model", metavar="NAME", help="linearizability only: the sequential specification "
              "(register, cas-register, counter, queue, stack, set, kv, bank) where the file does not name it.")
@click.option("--format", "fmt", metavar="FMT", help="linearizability only: the input format "
              "(ophistory, jepsen, porcupine-kv, edn); recognised from the content by default.")
def check(history, criteria, as_json, timeout, model, fmt):
    """Check a recorded HISTORY file against transactional consistency criteria.

    \b
    HISTORY is a stmcheck.history/1 file (JSON document or JSON Lines),
    or, with --criterion linearizability, an operation history.
    \b
    Examples:
      stmcheck check examples/write-skew.json
      stmcheck check run.jsonl -c opacity --json
      stmcheck check etcd_000.log -c linearizability --model cas-register
    \b
    Exit status: 0 all hold, 1 a violation, 2 bad input or usage, 3 inconclusive.
    """
    if LINEARIZABILITY in criteria:
        if len(criteria) > 1:
            fail_usage("--criterion linearizability checks an operation history and cannot be combined "
                       "with transaction criteria")
        try:
            from ..report.linearizability import run_linearizability
        except ImportError:  # pragma: no cover - the module ships with the package
            fail_usage("linearizability checking is not available in this installation")
        sys.exit(run_linearizability(history, model, fmt, timeout, as_json))
    if model or fmt:
        fail_usage("--model and --format apply only to --criterion linearizability")
    try:
        parsed = read_history(history)
    except HistoryError as exc:
        fail_usage(str(exc))
    results = check_history(parsed, criteria or DEFAULT_CRITERIA, timeout=timeout)
    if as_json:
        doc = {"history": parsed.counts(), "results": [r.to_json() for r in results]}
        click.echo(json.dumps(doc, indent=2))
    else:
        print_report(history, parsed, results)
    sys.exit(exit_code(results))
