"""`stmcheck explore NATIVE --strategy random|pct` runs its scheduling loop in C.

What must hold: every execution the C loop runs is the execution the Python
runtime runs on the same schedule through the adapter (same steps, events,
outcome, final state), including its livelock detection and the fairness
rule after an unfair loop; violations are reported, shrunk and replayable
as for Python-driven runs; budgets apply; schedules convert both ways.
"""

import json
import textwrap

import pytest
from click.testing import CliRunner

from stmcheck.implementations.native.loader import available

REASON = available()
pytestmark = pytest.mark.skipif(REASON is not None, reason=f"native core unavailable: {REASON}")

from stmcheck.checker.cli import main  # noqa: E402
from stmcheck.checker import api  # noqa: E402
from stmcheck.checker.native.loop import events_of, from_explorer, native_plan, to_explorer
from stmcheck.checker.explore.runtime import Run  # noqa: E402
from stmcheck.checker.explore.strategies.replay import Replay, encode  # noqa: E402
from stmcheck.implementations.native.controlled import format_schedule  # noqa: E402
from stmcheck.implementations.native.design import NativeDesign  # noqa: E402
from stmcheck.implementations.native.program import NotStraightLine, compile_workload, run_program
from stmcheck.implementations.registry import load_design  # noqa: E402
from stmcheck.models.workloads import make_workload  # noqa: E402

# Encounter-time locks, each attempt aborting itself on a conflict: two
# crossing transfers can undo each other forever (a fair lasso), and one
# thread can retry while the holder is not scheduled (an unfair loop).
POLITE = textwrap.dedent("""
    #include <stdlib.h>
    #include "stm.h"
    typedef struct { stm_cell *v, *own; } S;
    static void *create(int n, const stm_word *init, int t) {
        (void)t; S *s = calloc(1, sizeof *s); s->v = stm_cells(n); s->own = stm_cells(n);
        for (int k = 0; k < n; k++) atomic_store(&s->v[k], init[k]);
        return s;
    }
    static void destroy(void *s) { free(s); }
    static stm_word peek(void *s, int k) { return atomic_load(&((S *)s)->v[k]); }
    typedef struct { S *s; stm_word me; int held[16]; int n; } T;
    static void *tinit(void *s, int i) { T *t = calloc(1, sizeof *t); t->s = s; t->me = i + 1; return t; }
    static void tfini(void *t) { free(t); }
    static void begin(void *p) { ((T *)p)->n = 0; }
    static int grab(T *t, int k) {
        for (int i = 0; i < t->n; i++) if (t->held[i] == k) return 1;
        stm_word free_ = 0;
        if (!STM_CAS(&t->s->own[k], &free_, t->me)) return 0;
        t->held[t->n++] = k;
        return 1;
    }
    static int rd(void *p, int k, stm_word *out) {
        T *t = p; if (!grab(t, k)) return STM_ABORTED; *out = STM_LOAD(&t->s->v[k]); return STM_OK;
    }
    /* writes follow the reads of the same keys in these workloads: no undo needed */
    static int wr(void *p, int k, stm_word v) {
        T *t = p; if (!grab(t, k)) return STM_ABORTED; STM_STORE(&t->s->v[k], v); return STM_OK;
    }
    static void release(T *t) { for (int i = 0; i < t->n; i++) STM_STORE(&t->s->own[t->held[i]], 0); t->n = 0; }
    static int commit(void *p) { release(p); return STM_OK; }
    static void ab(void *p) { release(p); }
    const stm_design polite = {"polite", create, destroy, peek, tinit, tfini, begin, rd, wr, commit, ab};
""")


@pytest.fixture(scope="module")
def polite(tmp_path_factory):
    source = tmp_path_factory.mktemp("c") / "polite.c"
    source.write_text(POLITE)
    return type("Polite", (NativeDesign,), {"native": f"{source}:polite"})


def _same_as_python(design_cls, wl, strategy, executions, seed=1, max_steps=2000):
    """Run the C loop; replay each execution it sends in the Python runtime; compare everything."""
    program = compile_workload(wl)
    outcomes = {}
    for batch in run_program(design_cls.native, program, strategy, executions, seed, 3, max_steps):
        ex = batch.execution
        if ex is None:
            continue
        outcomes[ex.outcome] = outcomes.get(ex.outcome, 0) + 1
        run = Run(design_cls, wl, max_steps).execute(Replay(to_explorer(ex.schedule), strict=True))
        assert run.schedule == to_explorer(ex.schedule), ex.index
        assert run.events == events_of(ex.events, program.names), ex.index
        assert run.outcome == ex.outcome, (ex.index, run.outcome, ex.outcome)
        if ex.outcome == "complete":
            assert run.final == dict(zip(program.names, ex.final))
        if ex.outcome == "livelock":
            assert (run.detail["start"], run.detail["end"]) == ex.lasso
    return outcomes


@pytest.mark.parametrize("design, workload, threads, txns, strategy, retries", [
    ("native-tl2", "transfer", 3, 2, "random", None),
    ("native-norec", "counter", 3, 2, "pct", None),
    ("native-tl2-no-read-validation", "transfer", 2, 2, "random", 1),
])
def test_every_native_execution_is_the_python_runtimes_on_its_schedule(design, workload, threads, txns, strategy,
                                                                       retries):
    cls, _ = load_design(design)
    outcomes = _same_as_python(cls, make_workload(workload, threads, txns, retries=retries), strategy, 60)
    assert outcomes.get("complete")


def test_livelocks_and_unfair_loops_are_handled_as_in_python(polite):
    # max-steps 150: runs that neither commit nor close a lasso stop early (also compared)
    outcomes = _same_as_python(polite, make_workload("transfer", 2, 1), "random", 150, max_steps=150)
    assert outcomes.get("livelock") and outcomes.get("complete"), outcomes


def test_the_explorer_reports_a_native_livelock_with_a_replayable_lasso(polite):
    wl = make_workload("transfer", 2, 1)
    explorer = api.make_explorer(api.prepare(polite, wl), "random", seed=0, max_executions=500)
    plan = native_plan(explorer, "random", seed=0)
    assert plan is not None
    out = plan.explore(explorer)
    v = out.violations[0]
    assert v.kind == "livelock" and not v.suspected and v.detail["fair"]
    again = Run(polite, wl, 2000).execute(Replay(v.schedule, strict=True))
    assert again.outcome == "livelock"


def test_schedules_convert_both_ways():
    assert to_explorer("0x3,1") == [1, 1, 1, 2]
    assert to_explorer(b"\x00\x00\x01") == [1, 1, 2]
    assert from_explorer("1*3,2") == [0, 0, 0, 1]
    assert from_explorer([2, 1]) == [1, 0]
    native = [0, 0, 2, 1, 1, 1]
    assert from_explorer(encode(to_explorer(native))) == native
    assert to_explorer(format_schedule(native)) == to_explorer(native)
    assert encode(to_explorer(format_schedule(native))) == "1*2,3,2*3"


def test_a_shrunk_counterexample_replays_natively_too():
    """The explorer's schedule, converted, drives the C loop's replay to the same history."""
    cls, _ = load_design("native-tl2-no-commit-validation")
    wl = make_workload("transfer", 2, 1)
    sched = [2] * 8 + [1]  # the write skew: thread 2 reads both, thread 1 runs and commits, then 2 commits
    run = Run(cls, wl, 2000).execute(Replay(sched, strict=True))
    program = compile_workload(wl)
    (batch,) = list(run_program(cls.native, program, "replay", 1, replay=from_explorer(sched)))
    assert to_explorer(batch.execution.schedule) == run.schedule
    assert events_of(batch.execution.events, program.names) == run.events


def test_only_straight_line_workloads_compile():
    program = compile_workload(make_workload("transfer", 2, 1))
    assert program.names == ["a0", "a1"] and program.starts == [0, 5, 10]
    assert program.ops[:16] == [0, 0, 0, 0, 0, 1, 1, 0, 1, 0, 0, -1, 1, 1, 1, 1]  # a0-1, a1+1
    with pytest.raises(NotStraightLine):
        compile_workload(make_workload("swap", 2, 1))  # branches on a list's length, holds None


def _explore(*args):
    return CliRunner().invoke(main, ["explore", *args])


def test_cli_catches_the_lost_update_variant_natively_with_a_working_replay():
    r = _explore("native-tl2-no-commit-validation", "--threads", "3", "--strategy", "random", "--json")
    assert r.exit_code == 1, r.output
    doc = json.loads(r.output)
    assert doc["native_loop"] is True
    v = doc["violations"][0]
    assert v["kind"] == "serializability"
    replay = v["replay"].split()
    assert replay[:3] == ["stmcheck", "replay", "native-tl2-no-commit-validation"]
    args = [a.strip("'") for a in replay[2:]]
    again = CliRunner().invoke(main, ["replay", *args])
    assert again.exit_code == 1 and "SERIALIZABILITY" in again.output, again.output


def test_cli_clean_design_with_budgets_says_the_loop_ran_natively():
    r = _explore("native-tl2", "--threads", "3", "--strategy", "pct", "--max-executions", "300")
    assert r.exit_code == 0, r.output
    assert "scheduling loop run natively in C" in r.output
    assert "explored:  300 executions" in r.output and "max-executions 300" in r.output
    r = _explore("native-tl2", "--threads", "3", "--txns", "4", "--strategy", "random", "--max-steps", "200",
                 "--max-executions", "20")
    assert r.exit_code == 0 and "max-steps 200" in r.output, r.output
    r = _explore("native-tl2", "--threads", "3", "--strategy", "random", "--time-limit", "0.01",
                 "--max-executions", "100000000", "--json")
    doc = json.loads(r.output)
    assert r.exit_code == 0 and doc["bounds"] == ["time-limit 0.01 s"] and 0 < doc["executions"] < 100000000


def test_cli_output_is_deterministic_and_dpor_stays_in_python():
    a = _explore("native-tl2", "--strategy", "random", "--seed", "3", "--max-executions", "200", "--json")
    b = _explore("native-tl2", "--strategy", "random", "--seed", "3", "--max-executions", "200", "--json")
    da, db = json.loads(a.output), json.loads(b.output)
    da.pop("elapsed"), db.pop("elapsed")
    assert da == db
    d = json.loads(_explore("native-tl2", "--max-executions", "5", "--json").output)
    assert d["native_loop"] is False


def test_a_crash_in_the_native_loop_is_a_crash_counterexample(tmp_path):
    from native_designs import CRASHY

    source = tmp_path / "crashy.c"
    source.write_text(CRASHY)
    crashy = type("Crashy", (NativeDesign,), {"native": f"{source}:crashy"})
    explorer = api.make_explorer(api.prepare(crashy, "transfer"), "random", max_executions=100)
    out = native_plan(explorer, "random").explore(explorer)
    v = out.violations[0]
    assert v.kind == "crash" and "SIGSEGV" in v.explanation


def test_the_loop_rate_counts_the_steps_the_explorer_runs():
    """`stmcheck bench native`'s C-loop steps/s (target 10^6) rests on this count."""
    from stmcheck.implementations.native.program import loop_rate

    program = compile_workload(make_workload("transfer", 3, 1))
    steps, seconds = loop_rate("native-tl2", program, "random", 50)
    sent = sum(b.repeat_steps + (b.execution.steps if b.execution else 0)
               for b in run_program("native-tl2", program, "random", 50))
    assert steps == sent and steps > 0 and seconds > 0


def test_the_childs_key_groups_executions_exactly_as_signature_does():
    from stmcheck.checker.explore.engine import signature
    from stmcheck.checker.native.loop import NativeRun, same_verdict

    wl = make_workload("transfer", 3, 1)
    program = compile_workload(wl)
    runs = [b.execution for b in run_program("native-tl2", program, "random", 400) if b.execution]
    by_key, by_signature = {}, {}
    for i, ex in enumerate(runs):
        by_key.setdefault(same_verdict(ex.events, ex.final), set()).add(i)
        sig = signature(NativeRun(wl, program.names, ex.events, ex.final)), tuple(ex.final)
        by_signature.setdefault(sig, set()).add(i)
    assert len(by_key) < len(runs)  # some executions share a signature: the test can tell the two apart
    assert sorted(map(sorted, by_key.values())) == sorted(map(sorted, by_signature.values()))
