"""What a reader of `stmcheck explore` / `replay` reports needs to see in full.

A timeline cell that is cut ("(aborted by another transactio…") hides the
value that explains the run; the human report wraps long cells within their
column (or, with `--wide`, widens the column), `--json` carries the timeline
itself, a deadlock report names what each blocked thread waits for, and it
says when the loads that explain the deadlock are hidden (and how to see them).
"""

from __future__ import annotations

import json
import re
import textwrap

import pytest
from click.testing import CliRunner

from stmcheck.checker.cli import main

LIVELOCK = ["explore", "dstm+passive", "--threads", "2", "--max-executions", "3000"]


def run(*args, cwd=None):
    result = CliRunner().invoke(main, list(args), prog_name="stmcheck")
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result


def timeline_of(text: str) -> list[str]:
    lines = text.splitlines()
    start = next(i for i, ln in enumerate(lines) if ln.startswith("timeline ("))
    end = next(i for i in range(start, len(lines)) if lines[i].startswith("replay: "))
    return lines[start + 1:end]


@pytest.fixture(scope="module")
def livelock_json():
    return json.loads(run(*LIVELOCK, "--json").stdout)


def test_json_carries_the_timeline_as_rows(livelock_json):
    v = livelock_json["violations"][0]
    rows = v["timeline"]
    assert rows and all(set(r) == {"step", "thread", "text"} for r in rows)
    texts = [r["text"] for r in rows]
    assert any(t.startswith("store status1 := (1, 'active'") for t in texts)
    # the abort reasons, whole
    reasons = [t.strip() for t in texts if t.strip().startswith("(")]
    assert reasons and all(t.endswith(")") for t in reasons), reasons


def test_no_cell_is_cut_and_cells_wrap_within_their_column(livelock_json):
    out = run(*LIVELOCK).stdout
    assert "…" not in out
    rows = timeline_of(out)
    width = 8 + 34 * 2
    assert all(len(ln) <= width for ln in rows if not ln.startswith("  ----")), \
        [ln for ln in rows if len(ln) > width]
    # every word of every cell is there, in order, column by column
    text = " ".join(ln.strip() for ln in rows)
    for r in livelock_json["violations"][0]["timeline"]:
        for word in r["text"].split():
            assert word in text, word


def test_wide_puts_every_cell_on_one_line(livelock_json):
    out = run(*LIVELOCK, "--wide").stdout
    assert "…" not in out
    lines = timeline_of(out)
    for r in livelock_json["violations"][0]["timeline"]:
        if r["thread"] is not None:
            assert any(r["text"].strip() in ln for ln in lines), r["text"]


def test_replay_json_has_the_timeline_and_wide_is_accepted():
    doc = json.loads(run("replay", "tl2-no-read-validation", "--schedule", "2*5,1", "--json").stdout)
    assert doc["timeline"] and {"step", "thread", "text"} == set(doc["timeline"][0])
    out = run("replay", "dstm+passive", "--schedule", "1*10,2*7,1*4,2*15,1", "--wide").stdout
    assert "…" not in out


GATE = textwrap.dedent('''
    from stmcheck.models.machine import wait_any


    class Gate:
        """Each thread looks at the gate, then waits for it to name it: nobody ever opens it."""

        def __init__(self, machine, keys, threads):
            self.gate = machine.cell("gate", 0)
            self.cells = {k: machine.cell(k, v) for k, v in keys.items()}

        def begin(self, thread):
            seen = yield self.gate.load()
            if seen != thread:
                yield wait_any((self.gate, lambda g, me=thread: g == me))
            return thread

        def read(self, tx, key):
            return (yield self.cells[key].load())

        def write(self, tx, key, value):
            yield self.cells[key].store(value)

        def commit(self, tx):
            yield self.gate.store(0)

        def abort(self, tx):
            yield self.gate.store(0)
''')


def test_deadlock_names_the_condition_and_the_hidden_loads(tmp_path, monkeypatch):
    (tmp_path / "gate.py").write_text(GATE)
    monkeypatch.chdir(tmp_path)
    out = run("explore", "gate.py:Gate").stdout
    assert "VIOLATION: DEADLOCK" in out
    blocked = [ln.strip() for ln in out.splitlines() if "BLOCKED" in ln]
    assert blocked and all("gate" in ln and "condition" in ln for ln in blocked), blocked
    # the loads of the gate explain why both wait, and the timeline hides them: say so
    assert "--all-steps" in out and re.search(r"\bload", out.split("timeline (")[1]), out
    replay = re.search(r"replay: (stmcheck replay .*)", out).group(1).split()[1:]
    shown = run(*[a.strip("'") for a in replay], "--all-steps").stdout
    assert "load gate = 0" in shown and "--all-steps" not in shown.split("timeline (")[1]


def test_no_note_about_hidden_loads_when_nothing_is_hidden():
    out = run("explore", "locks-naive", "--max-executions", "1000").stdout
    assert "VIOLATION: DEADLOCK" in out and "--all-steps" not in out
    assert "BLOCKED on lock(a1) (held by 2)" in out


def test_one_retry_is_singular():
    out = run("explore", "tl2", "--retries", "1", "--max-executions", "50").stdout
    assert "at most 1 retry)" in out and "1 retries" not in out
    out = run("explore", "tl2", "--retries", "2", "--max-executions", "50").stdout
    assert "at most 2 retries)" in out
