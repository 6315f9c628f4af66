"""`stmcheck list`: what there is to choose from, one line each.

Why: the names a user types (designs, contention managers, workloads,
objects, criteria, strategies) live in several registries; this prints them
all from those registries, so the list cannot go stale, plain text (stable,
diffable) or `--json`.
"""

from __future__ import annotations

import json

import click

from stmcheck.implementations.registry import DESIGNS, MANAGED
from stmcheck.models.workloads.objects import OBJECTS
from stmcheck.models.workloads import OUTSIDE_WORKLOADS, WORKLOADS

from stmcheck.models.terms import HISTORY_CRITERIA, Criterion

from ..explore.strategies import STRATEGIES

GROUPS = ("designs", "managers", "workloads", "objects", "criteria", "strategies")
TITLES = {"designs": "Designs (stmcheck explore DESIGN)",
          "managers": "Contention managers (DESIGN+MANAGER, for designs that take one)",
          "workloads": "Workloads (--workload NAME)",
          "objects": "Transactional objects (--object KIND)",
          "criteria": "Criteria (--criterion NAME)",
          "strategies": "Strategies (--strategy NAME)"}


def managers() -> list:
    """(name, about) of the contention managers; [] when none are installed."""
    try:
        from stmcheck.implementations.contention import MANAGERS
    except ImportError:
        return []
    return [(name, getattr(m, "about", "") or _first_line(m.__doc__)) for name, m in MANAGERS.items()]


def takes_manager(entry) -> bool:
    """Does the design accept `+MANAGER`? Only the bases the registry names (eager, dstm)."""
    return entry.name in MANAGED


def _first_line(doc) -> str:
    return (doc or "").strip().splitlines()[0] if (doc or "").strip() else ""


def _expected(entry) -> dict:
    return {w: (list(v) if isinstance(v, tuple) else v) for w, v in entry.expected.items()}


def collect() -> dict:
    """Every group as a list of {"name", "about", ...} records."""
    return {
        "designs": [{"name": n, "about": e.about, "expected": _expected(e), "takes_manager": takes_manager(e)}
                    for n, e in DESIGNS.items()],
        "managers": [{"name": n, "about": a} for n, a in managers()],
        "workloads": [{"name": n, "about": w.about, "default_keys": w.default_keys, "min_keys": w.min_keys}
                      for n, w in {**WORKLOADS, **OUTSIDE_WORKLOADS}.items()],
        "objects": [{"name": n, "about": spec[0]} for n, spec in OBJECTS.items()],
        "criteria": [{"name": c, "about": c.about} for c in (*HISTORY_CRITERIA, Criterion.LINEARIZABILITY, Criterion.GIL)],
        "strategies": [{"name": name, "about": s.about} for name, s in STRATEGIES.items()],
    }


def text(groups: dict) -> str:
    lines = []
    managed = [d["name"] for d in collect()["designs"] if d["takes_manager"]] if "managers" in groups else []
    for g, items in groups.items():
        if lines:
            lines.append("")
        title = TITLES[g]
        if g == "managers" and managed and items:
            title = (f"Contention managers ({' or '.join(m + '+MANAGER' for m in managed)}, "
                     f"e.g. {managed[0]}+{items[-1]['name']})")
        lines.append(title + ":")
        if not items:
            lines.append("  (none installed)")
        width = max((len(i["name"]) for i in items), default=0) + 2
        for i in items:
            lines.append(f"  {i['name'].ljust(width)}{i['about']}".rstrip())
    return "\n".join(lines) + "\n"


@click.command("list")
@click.argument("what", required=False, type=click.Choice(GROUPS), metavar="[GROUP]")
@click.option("--json", "as_json_flag", is_flag=True, help="Print one JSON object: group -> list of records.")
def list_(what, as_json_flag):
    """List the designs, contention managers, workloads, objects, criteria and strategies.

    \b
    GROUP (optional) is one of: designs, managers, workloads, objects, criteria,
    strategies; without it every group is printed.
    \b
    Examples:
      stmcheck list
      stmcheck list workloads
      stmcheck list designs --json
    """
    groups = collect()
    if what:
        groups = {what: groups[what]}
    if as_json_flag:
        click.echo(json.dumps(groups, indent=2))
    else:
        click.echo(text(groups), nl=False)
