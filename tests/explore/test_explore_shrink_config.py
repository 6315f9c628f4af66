"""Shrinking to a smaller configuration: fewer threads, fewer transactions.

A violation found with 3 threads or 2 transactions per thread is looked for
again on smaller configurations (smallest first); what is reported must be of
the same kind, replay (by the printed command) to the same history on the
smaller configuration, and be the same on every run of the same command.
"""

import json

import pytest
from click.testing import CliRunner

from stmcheck.checker.cli import main
from stmcheck.checker import api
from stmcheck.checker.explore.shrink import shrink_all, smaller_configs
from stmcheck.checker.explore.strategies.replay import Replay, decode, encode


def test_smaller_configs_come_smallest_first():
    assert smaller_configs(2, 2) == [(1, 1), (1, 2), (2, 1)]
    assert smaller_configs(3, 1) == [(1, 1), (2, 1)]
    assert smaller_configs(1, 1) == []


@pytest.mark.parametrize("design,workload,threads,txns,kind", [
    ("tl2-no-read-validation", "transfer", 3, 1, "opacity"),
    ("locks-naive", "swap", 2, 2, "deadlock"),
    ("eager-aggressive", "transfer", 2, 2, "livelock"),
])
def test_violation_is_found_again_on_a_smaller_configuration(design, workload, threads, txns, kind):
    ex = api.make_explorer(api.prepare(design, workload, threads=threads, txns=txns), max_executions=5000)
    original = ex.explore().violations[0]
    v = shrink_all(ex, original)
    assert v.kind == kind
    assert v.config == {"threads": 2, "txns": 1}
    assert v.run.threads == 2
    small = api.make_explorer(api.prepare(design, workload))
    again = small.new_run().execute(Replay(decode(encode(v.schedule)), strict=True))
    assert again.events == v.run.events
    assert small.judge(again).kind == kind


def test_a_clean_smaller_configuration_keeps_the_original():
    """With 2 threads x 1 transaction the only smaller configuration is 1 x 1, where one
    thread alone cannot deadlock on swap, so the original (shrunk by schedule) stays."""
    ex = api.make_explorer(api.prepare("locks-naive", "swap"), max_executions=5000)
    v = shrink_all(ex, ex.explore().violations[0])
    assert v.kind == "deadlock" and getattr(v, "config", None) is None and v.run.threads == 2


def test_the_printed_replay_command_names_the_smaller_configuration():
    args = ["explore", "locks-naive", "--workload", "swap", "--txns", "2", "--json"]
    first = CliRunner().invoke(main, args)
    second = CliRunner().invoke(main, args)
    assert first.exit_code == 1
    a, b = json.loads(first.output), json.loads(second.output)
    a.pop("elapsed", None), b.pop("elapsed", None)
    assert a == b
    replay = a["violations"][0]["replay"]
    assert "--threads 2 --txns 1" in replay
    words = replay.split()[1:]
    words[-1] = words[-1].strip("'")
    out = CliRunner().invoke(main, words)
    assert "deadlock" in out.output.lower()
