"""`stmcheck list`: every registry shows up, one line each, plain and JSON."""

import json

from click.testing import CliRunner

from stmcheck.checker.cli import main
from stmcheck.checker.history.criteria import CRITERIA
from stmcheck.checker.cli.list import GROUPS
from stmcheck.checker.explore.strategies import STRATEGIES
from stmcheck.implementations.registry import DESIGNS
from stmcheck.models.workloads import OUTSIDE_WORKLOADS, WORKLOADS


def run(*args):
    return CliRunner().invoke(main, ["list", *args])


def test_plain_lists_every_name_once_per_group():
    r = run()
    assert r.exit_code == 0
    lines = r.output.splitlines()
    names = {line.split()[0] for line in lines if line.startswith("  ") and line.strip()}
    for group in (DESIGNS, WORKLOADS, CRITERIA, STRATEGIES):
        assert set(group) <= names
    for name in DESIGNS:   # the design's about line is on its line
        assert any(line.split()[0] == name and DESIGNS[name].about in line for line in lines if line.strip())
    assert "write-skew" in names and "norec-no-revalidation" in names and "tl2-borrowed-clock" in names
    assert run().output == r.output                      # deterministic


def test_json_has_every_group_with_names_and_about():
    doc = json.loads(run("--json").output)
    assert list(doc) == list(GROUPS)
    assert [d["name"] for d in doc["designs"]] == list(DESIGNS)
    assert [w["name"] for w in doc["workloads"]] == list(WORKLOADS) + list(OUTSIDE_WORKLOADS)
    assert all(item["about"] for g in ("designs", "workloads", "criteria", "strategies") for item in doc[g])
    tl2 = next(d for d in doc["designs"] if d["name"] == "tl2-borrowed-clock")
    assert tl2["expected"]["write-skew"] == ["gil", "serializability"]


def test_managers_listed_when_installed():
    doc = json.loads(run("managers", "--json").output)
    try:
        from stmcheck.implementations.contention import MANAGERS
    except ImportError:
        assert doc == {"managers": []}
        assert "(none installed)" in run("managers").output
        return
    assert [m["name"] for m in doc["managers"]] == list(MANAGERS)


def test_one_group_and_bad_group():
    r = run("strategies")
    assert r.exit_code == 0 and r.output.splitlines()[0].startswith("Strategies")
    assert len([line for line in r.output.splitlines() if line.startswith("  ")]) == len(STRATEGIES)
    bad = run("nope")
    assert bad.exit_code == 2 and "Traceback" not in bad.output


def test_designs_that_take_a_manager_are_named():
    from stmcheck.checker.cli.list import takes_manager
    assert not takes_manager(DESIGNS["tl2"]) and not takes_manager(DESIGNS["native-tl2"])
    assert not takes_manager(DESIGNS["eager+karma"]) and not takes_manager(DESIGNS["eager-no-undo"])
    assert takes_manager(DESIGNS["eager"]) and takes_manager(DESIGNS["dstm"])
