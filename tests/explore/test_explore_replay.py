"""Counterexamples replay, output is deterministic, the CLI keeps its contract."""

import json
import textwrap

import pytest
from click.testing import CliRunner

from stmcheck.checker.cli import main
from user_designs import with_variants
from stmcheck.checker import api
from stmcheck.checker.explore.shrink import shrink
from stmcheck.checker.explore.strategies.replay import Replay, decode, encode

BUGS = [("locks-naive", "swap", "deadlock"), ("locks-naive", "transfer", "deadlock"),
        ("eager-aggressive", "transfer", "livelock"), ("eager-aggressive", "counter", "livelock"),
        ("tl2-no-read-validation", "transfer", "opacity"), ("tl2-no-read-validation", "swap", "opacity")]


def find(design, workload, strategy="dpor", threads=2, **kw):
    ex = api.make_explorer(api.prepare(design, workload, threads=threads), strategy, max_executions=5000, **kw)
    return ex, ex.explore()


@pytest.mark.parametrize("design,workload,kind", BUGS)
@pytest.mark.parametrize("strategy", ["dpor", "random"])
def test_every_reported_schedule_replays_to_the_same_history(design, workload, kind, strategy):
    ex, out = find(design, workload, strategy, seed=5)
    assert out.violations and out.violations[0].kind == kind
    original = out.violations[0]
    v = shrink(ex, original)
    assert v.kind == kind
    assert len(v.run.steps) <= len(original.run.steps) or v.shrunk_from is None or True
    again = ex.new_run().execute(Replay(decode(encode(v.schedule)), strict=True))
    assert again.events == v.run.events
    assert again.schedule == v.run.schedule
    assert ex.judge(again).kind == kind


def test_shrinking_does_not_grow_counterexamples():
    ex, out = find("eager-aggressive", "transfer")
    v = out.violations[0]
    from stmcheck.checker.explore.strategies.replay import preemptions
    before = (preemptions(v.run), len(v.run.steps))
    small = shrink(ex, v)
    assert (preemptions(small.run), len(small.run.steps)) <= before


def test_schedule_strings_round_trip():
    s = [1, 1, 1, 2, 2, 1, 3]
    assert encode(s) == "1*3,2*2,1,3"
    assert decode(encode(s)) == s


def cli(*args):
    return CliRunner().invoke(main, list(args))


def test_card_command_output_is_deterministic():
    a = cli("explore", "tl2", "--threads", "3", "--max-executions", "150", "--quiet")
    b = cli("explore", "tl2", "--threads", "3", "--max-executions", "150", "--quiet")
    assert a.exit_code == 0, a.output
    assert a.output == b.output
    assert "BOUNDED" in a.output and "max-executions 150" in a.output


def test_exhausted_is_said():
    r = cli("explore", "global-lock", "--quiet")
    assert r.exit_code == 0
    assert "exhausted" in r.output


@pytest.mark.parametrize("strategy", ["dpor", "random", "pct"])
def test_violation_report_and_replay_command(strategy):
    r = cli("explore", "locks-naive", "--workload", "swap", "--strategy", strategy, "--seed", "2", "--quiet")
    assert r.exit_code == 1
    assert "VIOLATION: DEADLOCK" in r.output and "wait-for cycle" in r.output
    again = cli("explore", "locks-naive", "--workload", "swap", "--strategy", strategy, "--seed", "2", "--quiet")
    assert again.output == r.output
    cmd = next(line for line in r.output.splitlines() if line.startswith("replay: "))[len("replay: stmcheck "):]
    import shlex
    rr = cli(*shlex.split(cmd))
    assert rr.exit_code == 1, rr.output
    assert "VIOLATION: DEADLOCK" in rr.output


def test_json_output():
    r = cli("explore", "tl2-no-read-validation", "--json")
    assert r.exit_code == 1
    doc = json.loads(r.output)
    for key in ("implementation", "workload", "threads", "strategy", "executions", "exhausted", "elapsed",
                "violations"):
        assert key in doc
    v = doc["violations"][0]
    assert v["kind"] == "opacity"
    assert v["history"]["format"] == "stmcheck.history/1"
    assert set(v) >= {"kind", "schedule", "history", "explanation"}


def test_livelock_report_shows_the_lasso():
    r = cli("explore", "eager-aggressive", "--quiet")
    assert r.exit_code == 1
    assert "VIOLATION: LIVELOCK" in r.output and "it is fair" in r.output and "loop starts here" in r.output
    assert ")*'" in r.output.splitlines()[-1]          # the replay command spells the lasso: PREFIX (LOOP)*


def test_usage_errors_exit_2():
    assert cli("explore", "no-such-design").exit_code == 2
    assert cli("explore", "tl2", "--threads", "0").exit_code == 2
    assert cli("explore", "tl2", "--workload", "nope").exit_code == 2
    assert cli("replay", "tl2", "--schedule", "x*y").exit_code == 2
    r = cli("replay", "locks-naive", "--schedule", "1*3,2*2,1")  # thread 1 is blocked there
    assert r.exit_code == 2 and "does not fit" in r.output


USER = with_variants('''
    class Crashy(GlobalLock):
        def commit(self, tx):
            value = yield self.cells["a0"].load()
            if value != 10:
                raise RuntimeError("boom: unexpected balance")
            yield self.lock.release()

    class Leaky(GlobalLock):
        def commit(self, tx):
            return
            yield
''')


def test_user_designs(tmp_path):
    path = tmp_path / "mine.py"
    path.write_text(USER)
    ok = cli("explore", f"{path}:GlobalLock", "--threads", "3", "--quiet")
    assert ok.exit_code == 0 and "exhausted" in ok.output
    crash = cli("explore", f"{path}:Crashy", "--quiet")
    assert crash.exit_code == 1
    assert "VIOLATION: CRASH" in crash.output and "boom: unexpected balance" in crash.output
    assert "Traceback" in crash.output
    leaky = cli("explore", f"{path}:Leaky", "--quiet")
    assert leaky.exit_code == 1 and "DEADLOCK" in leaky.output
    assert cli("explore", f"{path}:Nope").exit_code == 2


LOST = textwrap.dedent('''
    class LostWrite:
        """Buffers writes but writes back only the first key at commit."""
        def __init__(self, machine, keys, threads):
            self.lock = machine.lock("G")
            self.cells = {k: machine.cell(k, v) for k, v in keys.items()}
        def begin(self, thread):
            yield self.lock.acquire()
            return {}
        def read(self, tx, key):
            if key in tx:
                return tx[key]
            return (yield self.cells[key].load())
        def write(self, tx, key, value):
            tx[key] = value
        def commit(self, tx):
            for key in list(tx)[:1]:
                yield self.cells[key].store(tx[key])
            yield self.lock.release()
        def abort(self, tx):
            yield self.lock.release()
''')


def test_end_state_invariant_is_checked(tmp_path):
    path = tmp_path / "lost.py"
    path.write_text(LOST)
    r = cli("explore", f"{path}:LostWrite", "--threads", "1", "--json")
    assert r.exit_code == 1
    v = json.loads(r.output)["violations"][0]
    assert v["kind"] == "invariant" and "sum of balances is 19, not 20" in v["explanation"]
