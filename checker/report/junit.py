"""JUnit XML (`--junit FILE`): what CI systems read to show tests, for explore, matrix, check, stress.

Why: a CI system (Jenkins, GitLab, GitHub's test reporters) lists JUnit test
cases and their failures without knowing stmcheck. Each command maps its
result to test cases as a user would name them:

- `explore`: one case per property judged (the criterion, the workload's
  invariant or linearizability, deadlock, livelock; starvation with
  `--cyclic`) plus `crash` when one happened; failed with the counterexample
  (timeline, explanation, replay command), passed when the search was
  exhausted, skipped ("not proven") when a bound stopped it;
- `matrix`: one case per cell, failed where it differs from the registry's
  expectation (the `--check` rule), skipped where n/a, an error where the cell
  could not run;
- `check`: one case per file and criterion, failed when violated, skipped
  when inconclusive, an error for a file that cannot be read;
- `stress`: one case per criterion, the money invariant and crash, failed
  with the run's summary.

Written with the standard library's ElementTree, in the schema CI tools
share (Jenkins' junit-10.xsd: testsuites, testsuite, testcase, failure,
error, skipped, system-out); tests validate against it. Times are written only
with timings on (`report.timings`): the same command gives the same file.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass

from stmcheck.models.terms import Kind

from . import timings as timings_on
from .explore import violation_lines


@dataclass
class Case:
    """One test case: `outcome` is passed, failed, skipped or error."""

    classname: str
    name: str
    outcome: str = "passed"
    message: str = ""
    text: str = ""
    seconds: float | None = None


def document(suites: list[tuple[str, list[Case]]]) -> bytes:
    """The JUnit XML document of `suites` ((name, cases) pairs), UTF-8, with its declaration."""
    root = ET.Element("testsuites")
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for name, cases in suites:
        counts = {"tests": len(cases), "failures": sum(c.outcome == "failed" for c in cases),
                  "errors": sum(c.outcome == "error" for c in cases),
                  "skipped": sum(c.outcome == "skipped" for c in cases)}
        suite = ET.SubElement(root, "testsuite", name=name, **{k: str(v) for k, v in counts.items()})
        seconds = [c.seconds for c in cases if c.seconds is not None]
        if timings_on() and seconds:
            suite.set("time", f"{sum(seconds):.3f}")
        for c in cases:
            case = ET.SubElement(suite, "testcase", classname=c.classname, name=c.name)
            if timings_on() and c.seconds is not None:
                case.set("time", f"{c.seconds:.3f}")
            if c.outcome == "failed":
                ET.SubElement(case, "failure", message=_line(c.message), type="stmcheck").text = c.text
            elif c.outcome == "error":
                ET.SubElement(case, "error", message=_line(c.message), type="stmcheck").text = c.text
            elif c.outcome == "skipped":
                ET.SubElement(case, "skipped", message=_line(c.message))
        for k in totals:
            totals[k] += counts[k]
    for k, v in totals.items():
        root.set(k, str(v))
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


def write(path: str, suites: list[tuple[str, list[Case]]]) -> None:
    with open(path, "wb") as f:
        f.write(document(suites))


def _line(text: str) -> str:
    first = (text or "").strip().splitlines()
    return first[0][:300] if first else ""


# -- explore ----------------------------------------------------------------------------------
def explore_suites(result) -> list:
    """One suite: the exploration, one case per property judged."""
    c = result.config
    design = f"{c.design} on {c.program}, {c.threads} threads"
    if c.cyclic:
        kinds = [Kind.DEADLOCK, Kind.LIVELOCK, Kind.STARVATION]
    elif c.object:
        kinds = [Kind.LINEARIZABILITY, Kind.DEADLOCK, Kind.LIVELOCK]
    else:   # the criterion by its name: session serializability is a criterion, not a kind
        kinds = [str(result.criterion), Kind.INVARIANT, Kind.DEADLOCK, Kind.LIVELOCK]
    kinds = [str(k) for k in kinds]
    found: dict = {}
    for v in result.violations:
        found.setdefault(str(v.kind), v)
        if v.results:   # a history broken for the criterion counts for the criterion judged
            found.setdefault(kinds[0], v)
    if str(Kind.CRASH) in found:
        kinds.append(str(Kind.CRASH))
    cases = []
    for k in kinds:
        case = Case(f"stmcheck.explore.{c.design}", f"{c.program}-{c.threads}-{k}")
        v = found.get(k)
        if v is not None:
            case.outcome, case.message = "failed", f"{k} violated: {v.explanation}"
            case.text = "\n".join(violation_lines(v, c)) + "\n"
        elif not result.exhausted:
            case.outcome, case.message = "skipped", f"not proven: {result.coverage}"
        cases.append(case)
    if cases:
        cases[0].seconds = result.elapsed
    return [(f"stmcheck explore {design}", cases)]


# -- matrix -----------------------------------------------------------------------------------
def matrix_suites(cells, differences) -> list:
    """One suite per design, one case per cell; `differences(cell)` lists how a cell differs
    from the registry's expectation (`matrix.differences`)."""
    by_design: dict = {}
    for cell in cells:
        case = Case(f"stmcheck.matrix.{cell.design}", f"{cell.workload}-{cell.threads}", seconds=cell.seconds)
        verdicts = ", ".join(f"{k} {v}" for k, v in cell.verdicts.items())
        if cell.status == "n/a":
            case.outcome, case.message = "skipped", cell.note or "n/a"
        elif cell.status == "error":
            case.outcome, case.message, case.text = "error", cell.note or "the cell did not run", verdicts
        else:
            diffs = differences(cell)
            if diffs:
                case.outcome, case.message = "failed", diffs[0]
                witnesses = [f"{k}: {w}" for k, w in sorted(cell.witnesses.items())]
                case.text = "\n".join(diffs + ["", f"verdicts: {verdicts}", f"coverage: {cell.coverage}"]
                                      + witnesses) + "\n"
        by_design.setdefault(cell.design, []).append(case)
    return [(f"stmcheck matrix {design}", cases) for design, cases in by_design.items()]


# -- check ------------------------------------------------------------------------------------
def check_suites(files) -> list:
    """One suite per history file: `files` is [(path, error or None, its --json object or None)]."""
    out = []
    for path, error, doc in files:
        if error is not None:
            out.append((f"stmcheck check {path}", [Case(f"stmcheck.check", path, "error", error, error + "\n")]))
            continue
        cases = []
        for r in doc.get("results", []):
            case = Case(f"stmcheck.check.{path}", r["criterion"])
            if r["holds"] is False:
                what = r.get("anomaly") or "violated"
                case.outcome, case.message = "failed", f"{r['criterion']} violated: {what}"
                case.text = (r.get("explanation") or "") + "\n"
            elif r["holds"] is None:
                case.outcome, case.message = "skipped", "inconclusive: " + (r.get("explanation") or "budget ran out")
            cases.append(case)
        out.append((f"stmcheck check {path}", cases))
    return out


# -- stress -----------------------------------------------------------------------------------
def stress_suites(impl: str, criteria, summary, report: str) -> list:
    """One suite: a case per criterion, the money invariant and crash; `report` (the human
    summary) is the failure's text."""
    problem = summary.problem or {}
    results = {r["criterion"]: r for r in problem.get("results", [])}
    cases = []
    for name in [str(c) for c in criteria] + ["invariant", "crash"]:
        case = Case(f"stmcheck.stress.{impl}", name)
        r = results.get(name)
        if name == "crash" and summary.verdict == "crash":
            case.outcome, case.message, case.text = "failed", f"crash: {problem.get('crash')}", report
        elif name == "invariant" and "invariant" in problem:
            case.outcome, case.message, case.text = "failed", f"invariant: {problem['invariant']}", report
        elif r is not None and r["holds"] is False:
            case.outcome, case.message = "failed", f"{name} violated in round {problem.get('round')}: {r.get('anomaly')}"
            case.text = report
        elif r is not None and r["holds"] is None:
            case.outcome, case.message = "skipped", f"inconclusive in round {problem.get('round')}"
        cases.append(case)
    cases[0].seconds = summary.run_seconds + summary.check_seconds
    return [(f"stmcheck stress {impl}", cases)]
