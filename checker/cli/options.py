"""What several subcommands share: the one-line error, finite numbers, `--no-timings`, name suggestions.

Every input error of every subcommand is one line on stderr, `stmcheck:
error: ...`, exit 2, so that scripts read all of them the same way (click's own
usage errors are turned into that line by the group in `__init__.py`).
"""

from __future__ import annotations

import difflib
import math
import sys

import click

from ..report import set_timings


def fail(message: str):
    """The one line an input error gets, then exit 2."""
    sys.stdout.flush()
    click.echo(f"stmcheck: error: {message}", err=True)
    sys.exit(2)


class FiniteFloatRange(click.FloatRange):
    """A float range that also refuses `nan` and `inf`.

    Python parses both, and both pass a range check that has no upper bound
    (every comparison with nan is false): `--time-limit nan` would silently
    remove the bound and `--timeout inf` would crash deep inside a solver.
    """

    def convert(self, value, param, ctx):
        rv = super().convert(value, param, ctx)
        if not math.isfinite(rv):
            self.fail(f"{value!r} is not a finite number", param, ctx)
        return rv


def _timings(ctx, param, value):
    set_timings(not value)
    return value


no_timings_option = click.option(
    "--no-timings", is_flag=True, expose_value=False, callback=_timings,
    help="Omit every timing (elapsed seconds, rates) from the output, so that the same command prints the "
         "same bytes every time.")


def _writable(ctx, param, path):
    """`--junit FILE` is checked before the search runs: a long matrix must not be lost to a typo."""
    if path:
        try:
            with open(path, "ab"):
                pass
        except OSError as exc:
            raise click.BadParameter(f"cannot write {path}: {exc.strerror or exc}") from None
    return path


junit_option = click.option(
    "--junit", metavar="FILE", type=click.Path(dir_okay=False), callback=_writable,
    help="Also write the outcome as JUnit XML to FILE, for CI test reporters (one test case per property, "
         "cell or criterion; a counterexample is the failure's text).")


html_option = click.option(
    "--html", metavar="FILE", type=click.Path(dir_okay=False), callback=_writable,
    help="Also write a self-contained HTML page of the outcome to FILE: each counterexample's per-thread "
         "timeline drawn (attempts, commits, aborts, the anomaly's events highlighted), its history and its "
         "replay command; for check -c linearizability, one lane per client and a bar per operation.")


def write_html(path: str | None, text) -> None:
    """Write `--html FILE` if asked (`text`: a function giving the page, called only then)."""
    if not path:
        return
    from ..report import html
    try:
        html.write(path, text())
    except OSError as exc:
        click.echo(f"stmcheck: error: cannot write --html {path}: {exc.strerror or exc}", err=True)
        sys.exit(2)


def write_junit(path: str | None, suites) -> None:
    """Write `--junit FILE` if asked; a file that cannot be written is a usage error (exit 2)."""
    if not path:
        return
    from ..report import junit
    try:
        junit.write(path, suites)
    except OSError as exc:
        click.echo(f"stmcheck: error: cannot write --junit {path}: {exc.strerror or exc}", err=True)
        sys.exit(2)


def unknown_name(kind: str, name: str, known, listing: str, extra: str = "", quote: bool = True) -> str:
    """`unknown design 'tl3'; did you mean tl2? ...`: the closest known names, never all of them
    (`quote`: the name as Python writes it, as the registry's own messages do)."""
    close = difflib.get_close_matches(name, list(known), n=3, cutoff=0.6)
    guess = f"; did you mean {' or '.join(close)}?" if close else ""
    shown = repr(name) if quote else name
    return f"unknown {kind} {shown}{guess} (`{listing}` lists all {len(known)}{extra})"


def check_design_name(name: str) -> None:
    """Fail with the closest names when `name` is not a design the registry can load.

    `path/to/file.py:Class` and `BASE+MANAGER` are left to the registry, whose
    messages for those are already short and precise."""
    from stmcheck.implementations.registry import DESIGNS, MANAGED
    if ":" in name or name in DESIGNS or name.partition("+")[0] in MANAGED:
        return
    fail(unknown_name("design", name, DESIGNS, "stmcheck list designs", "; or give path/to/file.py:ClassName"))


def save_every_option(saves: str):
    """`--save-every SECONDS`, how often the search that `saves` (an option: --save, --save-dir)
    names saves itself (checker/explore/saving.py)."""
    return click.option("--save-every", type=FiniteFloatRange(min=1), default=600, show_default=True,
                        metavar="SECONDS", help=f"How often a search saves itself ({saves}).")


def save_every_needs(saves: str, where) -> None:
    """A usage error where --save-every was given without `saves` (`where` None): it would do nothing."""
    source = click.get_current_context().get_parameter_source("save_every")
    if where is None and source is not None and source.name != "DEFAULT":
        fail(f"--save-every is how often {saves} saves: give {saves} too")
