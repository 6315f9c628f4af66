"""`stmcheck matrix --update` merges into an earlier matrix.json; one it cannot read is a
one-line usage error, not a traceback."""

from __future__ import annotations

import json

from click.testing import CliRunner

from stmcheck.checker.cli import main

ONE_CELL = ["matrix", "--designs", "global-lock", "--workloads", "transfer", "--threads", "2", "--update", "-q"]


def test_an_unreadable_matrix_to_update_is_one_line(tmp_path):
    (tmp_path / "matrix.json").write_text("{not json")
    r = CliRunner().invoke(main, [*ONE_CELL, "--out", str(tmp_path)])
    assert r.exit_code == 2, r.output
    assert "cannot read the matrix to update" in r.output and "Traceback" not in r.output


def test_update_merges_the_recomputed_cell(tmp_path):
    first = CliRunner().invoke(main, ["matrix", "--designs", "global-lock", "--workloads", "transfer,swap",
                                      "--threads", "2", "--write", "--out", str(tmp_path), "-q"])
    assert first.exit_code == 0, first.output
    before = json.loads((tmp_path / "matrix.json").read_text())
    r = CliRunner().invoke(main, [*ONE_CELL, "--out", str(tmp_path)])
    assert r.exit_code == 0, r.output
    after = json.loads((tmp_path / "matrix.json").read_text())
    key = lambda c: (c["design"], c["workload"], c["threads"])   # noqa: E731
    assert {key(c) for c in after["cells"]} >= {key(c) for c in before["cells"]}
    cell = next(c for c in after["cells"] if key(c) == ("global-lock", "transfer", 2))
    assert cell["verdicts"]["deadlock-free"] == "holds" and cell["expected"] == "clean"
