"""`stmcheck fuzz IMPL`: search hypothesis-drawn programs for one IMPL gets wrong (checker/gate/programs.py)."""

from __future__ import annotations

import sys

import click

from .. import api
from ..gate.programs import fuzz as fuzz_programs
from ..report.explore import human
from .options import FiniteFloatRange, check_design_name, fail


@click.command()
@click.argument("impl", metavar="IMPL")
@click.option("--threads", type=click.IntRange(1, 8), default=2, show_default=True, help="At most this many threads.")
@click.option("--txns", type=click.IntRange(1, 8), default=1, show_default=True,
              help="At most this many transactions per thread.")
@click.option("--keys", type=click.IntRange(1, 8), default=2, show_default=True, help="Keys r0..r(N-1).")
@click.option("--examples", type=click.IntRange(1), default=100, show_default=True,
              help="Programs to try before giving up.")
@click.option("--seed", type=int, default=0, show_default=True, help="Which programs are drawn (derandomized).")
@click.option("--time-limit", type=FiniteFloatRange(min=0, min_open=True), default=20.0, show_default=True,
              metavar="SECONDS", help="Per program explored.")
def fuzz(impl, threads, txns, keys, examples, seed, time_limit):
    """Search generated transaction programs for one IMPL gets wrong, then shrink it.

    Hypothesis draws programs (reads, writes of sum-of-reads + c, guards that commit
    early) of at most --threads x --txns over --keys keys; each is explored (the state
    graph) and the first that fails is shrunk by hypothesis to a minimal program, whose
    counterexample is then shrunk and printed like explore's. The program's name
    (programs:...) is a workload name: explore and replay take it.
    \b
    Examples:
      stmcheck fuzz tl2-no-read-validation
      stmcheck fuzz my_stm.py:MySTM --threads 3 --txns 2 --examples 300
    \b
    Exit status: 0 no failing program found, 1 found, 2 usage error.
    """
    check_design_name(impl)
    try:
        program, result, tried = fuzz_programs(impl, examples=examples, threads=threads, txns=txns, keys=keys,
                                               seed=seed, time_limit=time_limit)
    except api.UsageError as exc:
        fail(str(exc))
    if program is None:
        click.echo(f"fuzz {impl}: no failing program among {tried} tried (at most {threads} threads x {txns} "
                   f"transactions, {keys} keys); this proves nothing beyond them")
        sys.exit(0)
    click.echo(f"fuzz {impl}: a failing program after {tried} tried, shrunk to {program.name}")
    for line in program.describe_programs():
        click.echo(f"  {line}")
    click.echo("")
    click.echo(human(result), nl=False)
    sys.exit(1)
