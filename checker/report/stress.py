"""The human report of `stmcheck stress`: totals over the rounds and the first problem."""

from __future__ import annotations

from ..native.stress import Summary
from . import timings

TIMING_KEYS = ("run_seconds", "commits_per_s", "aborts_per_s", "check_seconds")
"""The fields of the `--json` summary that vary from run to run on the same machine."""


def summary_json(s: Summary) -> dict:
    """The summary's JSON fields, without its timings under `--no-timings`."""
    doc = s.to_json()
    if not timings():
        for key in TIMING_KEYS:
            doc.pop(key, None)
    return doc


def _edge(e: dict) -> str:
    """One edge of a dependency cycle in words. Stress histories name keys by number, so
    "read 3" would read as a value: the key is called a key."""
    src, dst, key = e["from"], e["to"], e.get("key")
    kind = e["kind"]
    if kind == "wr":
        return f"{dst} read key {key} as written by {src}"
    if kind == "rw":
        return f"{src} read key {key} before {dst} overwrote it"
    if kind == "ww":
        return f"{src} wrote key {key} before {dst} did"
    if kind == "po":
        return f"{src} ran before {dst} on the same thread"
    return f"{src} ended before {dst} began"


def _explanation(r: dict) -> str:
    cycle = r.get("cycle")
    if not cycle:
        return r.get("explanation") or ""
    return ("; ".join(_edge(e) for e in cycle) + ". Around this cycle each transaction must come before "
            "the next, so no order can place them all.")


def summary_lines(impl, label, s: Summary, keep) -> list[str]:
    out = [f"stress {impl}{label}"]
    timed = timings()
    rate = (lambda n: f"{n / s.run_seconds:,.0f}/s" if s.run_seconds else "-")
    out.append(f"  rounds     {s.rounds}")
    if timed:
        out.append(f"  recorded   {s.commits:,} commits ({rate(s.commits)}), {s.aborts:,} aborts "
                   f"({rate(s.aborts)}) in {s.run_seconds:.3f} s of running")
        out.append(f"  history    {s.transactions:,} transactions, {s.events:,} events, checked in "
                   f"{s.check_seconds:.2f} s")
    else:
        out.append(f"  recorded   {s.commits:,} commits, {s.aborts:,} aborts")
        out.append(f"  history    {s.transactions:,} transactions, {s.events:,} events")
    p = s.problem or {}
    if s.verdict == "clean":
        out.append("  verdict    clean: every criterion holds in every round, and money is conserved")
    elif s.verdict == "crash":
        out.append(f"  verdict    CRASH in round {p.get('round')}: {p.get('crash')}")
    elif "invariant" in p:
        out.append(f"  verdict    VIOLATED in round {p['round']}: {p['invariant']}")
    else:
        word = "VIOLATED" if s.verdict == "violated" else "INCONCLUSIVE"
        out.append(f"  verdict    {word} in round {p.get('round')}")
        for r in p.get("results", []):
            if r["holds"] is not True:
                out.append(f"    {r['criterion']}: {r.get('anomaly') or 'no answer'}: {_explanation(r)}")
        if p.get("cycle"):
            out.append(f"    cycle: {p['cycle']}")
    if keep:
        out.append(f"  kept       {keep}")
    return out
