"""The matrix on a Ray cluster (checker/cluster.py, `stmcheck matrix --cluster`): a real local
Ray instance with two workers; the same cells as a run here, a worker killed mid-run.

Skipped where Ray is not installed (it is an optional extra: pip install -e '.[cluster]';
CI installs it)."""

from __future__ import annotations

import json
import os
import sys

import pytest
from click.testing import CliRunner

ray = pytest.importorskip("ray", reason="Ray is not installed (pip install -e '.[cluster]')")

from stmcheck.checker import cluster  # noqa: E402
from stmcheck.checker.cli import main  # noqa: E402

pytestmark = pytest.mark.xdist_group("ray")     # one Ray instance at a time (tests/explore/test_cluster_graph.py)


@pytest.fixture(scope="module")
def local2():
    with cluster.connect("local:2") as r:
        yield r


def _matrix(*extra):
    args = ["matrix", "--designs", "global-lock,locks-naive,tl2-no-read-validation",
            "--workloads", "transfer", "--states", "5000", "--json", "--no-timings", "-q", *extra]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_the_cluster_gives_the_cells_a_run_here_gives(local2):
    """Clean, deadlocking and broken designs on transfer (each kind of verdict: holds, a
    deadlock, a violation), 2 and 3 threads: the same cells in the same order, the same JSON
    (timings left out)."""
    here = _matrix()
    there = _matrix("--cluster", "local:2")
    assert there == here
    assert {c["coverage"].split(":")[0] for c in there["cells"]} >= {"exhausted"}


def test_a_worker_killed_mid_task_is_run_again(local2, tmp_path):
    """A task whose worker dies (here: it kills itself the first time) runs again on a new worker:
    the results are whole, each under its item's index."""
    marker = tmp_path / "first"
    marker.write_text("")

    def square(x, marker=str(marker)):
        if x == 3 and os.path.exists(marker):
            os.remove(marker)
            os._exit(9)                      # the worker process dies, as when killed
        return x * x

    assert sorted(cluster.as_completed(local2, square, [(i,) for i in range(6)])) == [(i, i * i) for i in range(6)]
    assert not marker.exists()


def test_a_worker_that_keeps_dying_fails_the_run_with_a_clear_message(local2):
    def dies(x):
        os._exit(9)

    with pytest.raises(cluster.ClusterFailure, match=r"piece 1 of 1 \(5\).*worker died 3 times"):
        list(cluster.as_completed(local2, dies, [(5,)]))


def test_an_error_in_a_task_is_raised_as_it_was(local2):
    def bad(x):
        raise ValueError(f"no {x}")

    with pytest.raises(ValueError, match="no 7"):
        list(cluster.as_completed(local2, bad, [(7,)]))


def test_without_ray_the_cli_says_how_to_get_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)        # import ray: ImportError
    result = CliRunner().invoke(main, ["matrix", "--designs", "tl2", "--threads", "2", "--cluster", "local"])
    assert result.exit_code == 2
    assert "pip install -e '.[cluster]'" in result.output and "Traceback" not in result.output


@pytest.mark.parametrize("spec, message", [("local:0", "worker count"), ("", "needs ADDRESS")])
def test_bad_cluster_values_are_usage_errors(spec, message):
    with pytest.raises(ValueError, match=message):
        cluster.parse(spec)


def test_cluster_and_jobs_together_are_a_usage_error():
    result = CliRunner().invoke(main, ["matrix", "--designs", "tl2", "--cluster", "local", "-j", "2"])
    assert result.exit_code == 2 and "give one" in result.output
