"""The human report of `stmcheck stress`: totals over the rounds and the first problem."""

from __future__ import annotations

from ..native.stress import Summary


def summary_lines(impl, label, s: Summary, keep) -> list[str]:
    out = [f"stress {impl}{label}"]
    rate = (lambda n: f"{n / s.run_seconds:,.0f}/s" if s.run_seconds else "-")
    out.append(f"  rounds     {s.rounds}")
    out.append(f"  recorded   {s.commits:,} commits ({rate(s.commits)}), {s.aborts:,} aborts "
               f"({rate(s.aborts)}) in {s.run_seconds:.3f} s of running")
    out.append(f"  history    {s.transactions:,} transactions, {s.events:,} events, checked in "
               f"{s.check_seconds:.2f} s")
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
                out.append(f"    {r['criterion']}: {r.get('anomaly') or 'no answer'}: {r.get('explanation')}")
        if p.get("cycle"):
            out.append(f"    cycle: {p['cycle']}")
    if keep:
        out.append(f"  kept       {keep}")
    return out
