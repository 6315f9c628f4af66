"""`stmcheck check HISTORY [HISTORY ...]`: judge recorded histories, per the public contract.

For one file: exit 0 every requested criterion holds; 1 one is violated; 2 usage
error or bad input (one line on stderr, never a traceback); 3 inconclusive.

Several files are judged in one process because starting Python and importing
the checker costs far more than checking a typical log: each file is judged as
if it were alone, in the order given, and a bad file is reported (on stderr,
and in `--json`) without stopping the others. The exit status is the worst
file's, ranked 2 > 1 > 3 > 0 (see `worst`).

This module is the front end: options, exit codes, error lines. Reading and
checking are calls into the models and the API; rendering is in
`checker/report/check.py` and `checker/report/linearizability.py`.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from functools import partial
from typing import Callable

import click

from stmcheck.models.txformats import TX_FORMATS, read_transactions
from stmcheck.models.history import HistoryError
from stmcheck.models.opformats import FORMATS
from stmcheck.models.specs import SPECS
from stmcheck.models.terms import DEFAULT_CRITERIA, HISTORY_CRITERIA, Criterion

from .. import api
from ..report import check as report
from ..report.junit import check_suites
from ..report.html import check_page
from .options import FiniteFloatRange, html_option, junit_option, no_timings_option, write_html, write_junit

CRITERIA = tuple(c.value for c in HISTORY_CRITERIA)   # plain strings: click.Choice lists enum members by name
LINEARIZABILITY = Criterion.LINEARIZABILITY.value
REAL_TIME_CRITERIA = (Criterion.STRICT_SERIALIZABILITY, Criterion.OPACITY)

SEVERITY = (0, 3, 1, 2)
"""Exit codes from best to worst, for several files. A bad file (2) outranks a
violation (1): it was not checked at all, and a red build blamed on a violation
would hide that one input was never looked at. A violation outranks an
inconclusive verdict (3): it is a definite answer CI must act on, while 3 only
says that a budget ran out. Within one file a violation already outranks an
inconclusive criterion (`exit_code`), so one file and several agree."""


def worst(codes) -> int:
    """The exit status of several files: the worst of theirs (0 when there are none)."""
    return max(codes, key=SEVERITY.index, default=0)


def fail_usage(message: str) -> None:
    error(message)
    sys.exit(2)


def error(message: str) -> None:
    """The one line a bad file or a usage error gets on stderr."""
    sys.stdout.flush()  # so that, on a terminal, the line appears after the reports before it
    print(f"stmcheck: error: {message}", file=sys.stderr, flush=True)


def exit_code(results) -> int:
    if any(r.holds is False for r in results):
        return 1
    if any(r.holds is None for r in results):
        return 3
    return 0


@dataclass
class FileVerdict:
    """What one file came to: its exit code, and either its error or the means to report it.

    `doc()` is the file's `--json` object and `show(console=None)` prints its
    human report; both are bound to the history and results, which are
    dropped once the file has been reported.
    """

    path: str
    code: int
    error: str | None = None
    doc: Callable[[], dict] | None = None
    show: Callable[..., None] | None = None
    page: Callable[[], str] | None = None      # the --html page


def bad(path: str, message: str) -> FileVerdict:
    return FileVerdict(path, 2, error=message)


UNTIMED_CRITERIA = (Criterion.SERIALIZABILITY, Criterion.SESSION_SERIALIZABILITY)
"""The default for a history recorded without a clock (Cobra's logs): the real-time
criteria have nothing to judge there."""


def judge_transactions(path: str, criteria, timeout, fmt=None) -> FileVerdict:
    """Read and check one transaction history (`criteria` None: the defaults).

    A history without real time (Cobra's per-client logs) is judged on serializability and
    session serializability by default; a real-time criterion asked for by name is refused
    (exit 2): judged without real time it would silently be another criterion.
    """
    try:
        history = read_transactions(path, fmt, timeout=timeout)
    except HistoryError as exc:
        return bad(path, str(exc))
    except RecursionError:
        return bad(path, f"{path}: nested too deeply to read")
    if criteria is None:
        criteria = DEFAULT_CRITERIA if history.real_time else UNTIMED_CRITERIA
    elif not history.real_time:
        timed = [c for c in criteria if c in REAL_TIME_CRITERIA]
        if timed:
            recorder = "Cobra's logs do" if history.source == "cobra" else "this history does"
            return bad(path, f"{path}: {timed[0]} needs the real-time order of transactions, which {recorder} "
                             "not record (only each client's own order); check serializability or "
                             "session-serializability")
    results = api.check(history, criteria, timeout=timeout)
    return FileVerdict(path, exit_code(results), doc=partial(report.to_json, history, results),
                       show=partial(report.print_report, path, history, results),
                       page=partial(check_page, path, history, results))


def judge_linearizability(path: str, model, fmt, timeout) -> FileVerdict:
    """Read and check one operation history.

    A user-written specification can raise anything while the file is read
    (its `validate`) or searched (`step`): that is bad input, named after the
    file, not a crash of stmcheck.
    """
    from stmcheck.models.opformats import read_ophistory

    from ..linearizability.search import LinResult
    from ..report import linearizability as lin_report
    from ..report.html_linearizability import lin_page
    try:
        history = read_ophistory(path, fmt=fmt, model=model, timeout=timeout)
    except HistoryError as exc:
        return bad(path, str(exc))
    except RecursionError:
        return bad(path, f"{path}: nested too deeply to read")
    except Exception as exc:
        return bad(path, f"{path}: cannot read the history: {type(exc).__name__}: {exc}")
    try:
        result = api.check_linearizability(history, timeout=timeout)
    except MemoryError:
        result = LinResult(None, explanation="the search ran out of memory; no verdict")
    except Exception as exc:
        return bad(path, f"{path}: the {history.model} specification failed: {type(exc).__name__}: {exc}")
    code = 3 if result.holds is None else 0 if result.holds else 1
    return FileVerdict(path, code, doc=partial(lin_report.to_json, history, result),
                       show=partial(lin_report.print_report, path, history, result),
                       page=partial(lin_page, path, history, result))


def report_one(verdict: FileVerdict, as_json: bool) -> int:
    """Print one file's outcome exactly as the contract gives it; return its exit code."""
    if verdict.error is not None:
        error(verdict.error)
        return 2
    if as_json:
        click.echo(json.dumps(verdict.doc(), indent=2))
    else:
        verdict.show()
    return verdict.code


def run_linearizability(path, model, fmt, timeout, as_json) -> int:
    """Check one operation history; print its report; return the exit code."""
    return report_one(judge_linearizability(path, model, fmt, timeout), as_json)


def report_many(paths, judge: Callable[[str], FileVerdict], as_json: bool) -> int:
    """Judge and report several files in turn; return the worst exit code.

    Human reports are printed as each file is judged, so a long run shows its
    progress; `--json` keeps only each file's JSON object until the end.
    """
    codes: list[int] = []
    entries: list[dict] = []
    console = None
    for path in paths:
        try:
            verdict = judge(path)
        except KeyboardInterrupt:   # ^C: the files judged so far are summed up, then exit 130
            error(f"interrupted at {path}, after {len(codes)} of {len(paths)} files")
            break
        codes.append(verdict.code)
        if verdict.error is not None:
            error(verdict.error)
            if as_json:
                entries.append(report.file_json(path, 2, error=verdict.error))
        elif as_json:
            entries.append(report.file_json(path, verdict.code, verdict.doc()))
        else:
            if console is None:  # the first report: no blank line before it
                console = report.new_console()
            else:
                console.print()
            verdict.show(console=console)
    code = worst(codes)
    if as_json:
        click.echo(json.dumps(report.many_json(entries, code), indent=2))
    else:
        report.print_summary(codes, code, console)
    return code if len(codes) == len(paths) else 130


@click.command()
@click.argument("histories", nargs=-1, required=True, metavar="HISTORY...",
                type=click.Path(dir_okay=True, allow_dash=False))
@click.option("--criterion", "-c", "criteria", multiple=True, metavar="NAME",
              type=click.Choice(CRITERIA + (LINEARIZABILITY,)),
              help="A criterion to check (repeatable). Default: serializability, "
                   "strict-serializability and opacity (for Cobra's logs, which record no real time: "
                   "serializability and session-serializability).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object on stdout (for CI and scripts).")
@click.option("--timeout", type=FiniteFloatRange(min=0, min_open=True), metavar="SECONDS",
              help="Budget for the exact (z3) search, for each file; when it runs out the verdict is "
                   "inconclusive (exit 3), never a guess.")
@click.option("--model", metavar="NAME", help="linearizability only: the sequential specification "
              f"({', '.join(SPECS)}, or path/to/file.py:Class) where the file does not name it.")
@click.option("--format", "fmt", metavar="FMT", help="The input format, recognised from the content by "
              "default. Transaction histories: history (stmcheck.history/1), elle (Jepsen/Elle EDN "
              "transactions: rw-register, list-append), cobra (a folder of Cobra's per-client *.log files; "
              "no real time). With --criterion linearizability: "
              f"{', '.join(FORMATS)}.")
@no_timings_option
@junit_option
@html_option
def check(histories, criteria, as_json, timeout, model, fmt, junit, html):
    """Check recorded HISTORY files against transactional consistency criteria.

    \b
    HISTORY is a stmcheck.history/1 file (JSON document or JSON Lines), a
    Jepsen/Elle transactional history (EDN), a folder of Cobra's client logs
    (judged on serializability and session serializability: they record no
    real time), or, with --criterion linearizability, an operation history.
    \b
    Examples:
      stmcheck check examples/write-skew.json
      stmcheck check examples/run.jsonl -c opacity --json
      stmcheck check examples/elle-lost-update.edn
      stmcheck check examples/cas-register-bad.log -c linearizability --model cas-register
      stmcheck check examples/*.log -c linearizability --model cas-register
    \b
    Exit status: 0 all hold, 1 a violation, 2 bad input or usage, 3 inconclusive,
    130 interrupted (^C: with several files, the ones judged so far are summed up).

    Several files are checked in one process, each as if alone, in the order
    given; a bad file is reported on stderr and the others are still checked.
    The human reports are followed by a one-line summary; --json prints one
    object {"files": [...], "summary": {...}, "exit": N} whose entries are
    each file's own object with "file" and "exit" (or "file", "exit": 2 and
    "error"). The exit status is the worst file's, ranked
    2 (bad input) > 1 (violated) > 3 (inconclusive) > 0 (all hold):
    an unchecked file is never hidden by a violation elsewhere, nor a
    violation by an inconclusive file.
    """
    if LINEARIZABILITY in criteria:
        if len(criteria) > 1:
            fail_usage("--criterion linearizability checks an operation history and cannot be combined "
                       "with transaction criteria")
        judge = partial(judge_linearizability, model=model, fmt=fmt, timeout=timeout)
    else:
        if model:
            fail_usage("--model applies only to --criterion linearizability")
        if fmt is not None and fmt not in TX_FORMATS:
            fail_usage(f"--format {fmt}: transaction histories are {', '.join(TX_FORMATS)} "
                       f"({', '.join(FORMATS)} are operation histories, for --criterion linearizability)")
        judge = partial(judge_transactions, criteria=criteria or None, timeout=timeout, fmt=fmt)
    if html and len(histories) > 1:
        fail_usage("--html draws one history: give one file")
    files: list = []      # (path, error, --json object) of each file, for --junit

    def judged(path):
        verdict = judge(path)
        if junit:
            files.append((path, verdict.error, verdict.doc() if verdict.error is None else None))
        if html and verdict.page is not None:
            write_html(html, verdict.page)
        return verdict

    code = report_one(judged(histories[0]), as_json) if len(histories) == 1 else report_many(histories, judged, as_json)
    write_junit(junit, check_suites(files))
    sys.exit(code)
