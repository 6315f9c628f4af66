"""`stmcheck bench gil`: one row per design, each cell as the registry expects."""

from click.testing import CliRunner

from stmcheck.checker.cli import main


def test_rows_name_the_kinds_found_and_the_progress_verdicts():
    out = CliRunner().invoke(main, ["bench", "gil", "--designs", "global-lock,locks-naive,dstm"])
    assert out.exit_code == 0, out.output
    rows = {line.split(" | ")[0].strip("| "): line for line in out.output.splitlines() if line.startswith("| ")}
    assert rows["global-lock"].startswith("| global-lock | clean, 40 | clean, 35 | clean, 65 | clean, 29 | x (92) | x |")
    assert "| gil, 72 |" in rows["locks-naive"] and not any("(!)" in row for row in rows.values())
    assert rows["dstm"].startswith("| dstm | n/a | n/a | n/a | n/a | x ")
    bad = CliRunner().invoke(main, ["bench", "gil", "--designs", "nope"])
    assert bad.exit_code == 2 and "unknown design" in bad.output
