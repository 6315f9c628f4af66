"""The search by symmetry (checker/explore/symmetry.py) against the search without it.

Two oracles: the verdicts (every way a run ends, with what failed: `Verdicts`) are those of
the full search, and the quotient's places, each counted with the size of its orbit (its
distinct images under the group, computed on a replay of its path), add up to the full
graph's places: the quotient holds exactly one state of each orbit, and no orbit is lost.
(There each image's thread positions, which the search looks up alone first, are checked to
be the whole image's.)"""

from __future__ import annotations

import random

import pytest
from click.testing import CliRunner
from hypothesis import given, settings, strategies as st

from stmcheck.checker import api
from stmcheck.checker.cli import main
from stmcheck.checker.explore.strategies.graph import GraphSearch
from stmcheck.checker.explore.strategies.replay import Replay, spelt_run
from stmcheck.checker.explore.symmetry import Symmetry
from stmcheck.implementations.tl2 import TL2
from stmcheck.models.machine import CHOICE_STRIDE, DesignMisuse, picked
from stmcheck.models.threadids import Tid, relabel

from test_explore_dpor_cache import OP, Scripted, Verdicts, on_random_programs
from user_designs import with_variants


def _search(design, workload, threads, symmetry, cyclic=False):
    """(the graph search, its explorer, its outcome), every verdict collected (`Verdicts`; cyclic
    programs: the starvation search's own explorer, which judges no history)."""
    g = GraphSearch(max_states=100_000, symmetry=symmetry)
    setup = api.prepare(design, workload, threads=threads, cyclic=cyclic)
    ex = api.make_explorer(setup, g, explorer_cls=None if cyclic else Verdicts, max_executions=None,
                           time_limit=600, stop_at_first=False)
    ex.finals = set()
    out = ex.explore()
    return g, ex, out


def _orbit_sum(g, ex) -> int:
    """The quotient's places, each weighted by its orbit's size (replayed to its representative)."""
    total = 0
    for node in range(len(g.store)):
        run = spelt_run(ex.new_run, g.schedule(node))[0]
        here = run.abstract_state()
        view = () if g.product is not None else None      # views after places, or none (cyclic)
        assert g.store.lookup(*here, view) is not None, "a replay reached a state the search did not store"
        images = [image for _, image in g.sym.images(run)]
        for (names, _, order), image in zip(g.sym._images, images):
            # the positions a search looks up before it builds an image's memory are the image's
            assert run.image_positions(names, order) == image[1]
        total += len({here} | set(images))
    return total


def _verdicts(out, ex):
    kinds = sorted({v.kind for v in out.violations})
    return out.exhausted, kinds, ex.finals


@pytest.mark.parametrize("design,workload,threads,cyclic", [
    ("tl2", "transfer", 3, False),
    ("tl2", "counter", 3, False),
    ("norec", "swap", 3, False),
    ("global-lock", "counter", 3, False),
    ("lazy", "write-skew", 3, False),
    ("tl2-no-read-validation", "counter", 3, False),
    ("lazy-unlocked-commit", "counter", 3, False),
    ("tl2", "counter", 2, True),                         # cyclic: starvation, on the lifted graph
    ("global-lock", "transfer", 3, True),
    ("eager+passive", "counter", 3, False),             # per-thread cells (of_thread), a lock holder
    ("eager-aggressive", "counter", 3, False),
    ("eager+karma", "counter", 2, False),
    ("eager+aggressive", "counter", 2, True),
    ("dstm", "counter", 2, False),                      # locators' readers in registration order
    ("dstm+passive", "counter", 2, False),              # a livelock
])
def test_the_quotient_stands_for_the_full_graph(design, workload, threads, cyclic):
    _quotient_is_exact(design, lambda: workload, threads, cyclic)


def test_eager_claims_read_in_one_step_keep_the_quotient_exact():
    """eager+timestamp, three threads writing one key: conflicts make the winners claim it and
    the others wait the claims out (`Eager._yield`, which reads every other thread's claim and
    ticket in one step and keeps only the claimer it waits for): the quotient holds one state
    of each orbit (with the claims read one load at a time in thread order it did not: the
    orbits add up to more than the full graph's places, with no retry already, as here)."""
    _quotient_is_exact("eager+timestamp", lambda: _SameProgram([[[("w", "x")]]] * 3, retries=0), 3)


class _ImagesAsRuns:
    """A chooser that, at every state of its run, holds each image of the state (`image_state`,
    from the thread parts `abstract_state` kept: `Run._renamed_parts`) against the state a run
    of the renamed schedule reaches (the definition: thread t's steps taken by names[t]), then
    steps a seeded random thread (or alternative of a choice)."""

    takes_choices = True

    def __init__(self, seed, new_run):
        self.rng, self.new_run, self.sym, self.images = random.Random(seed), new_run, None, 0

    def pick(self, run, enabled):
        run.abstract_state()
        self.sym = self.sym or Symmetry(run)
        for names, cells, order in self.sym._images:
            image = run.image_state(names, cells, order)
            assert run.image_positions(names, order) == image[1]
            renamed = [int(names[t]) + a * CHOICE_STRIDE for t, a in (picked(c, run.threads) for c in run.schedule)]
            there = self.new_run()
            there.execute(Replay(renamed, strict=True, then_stop=True))
            assert there.abstract_state() == image
            self.images += 1
        return self.rng.choice(enabled)


class _KeepsItsName(TL2):
    """TL2 whose local state names a thread (its own, kept from `begin`): a local state an image
    renames (no shipped design keeps a thread number there)."""

    def __init__(self, machine, keys, threads):
        super().__init__(machine, keys, threads)
        self.named = dict.fromkeys(range(1, threads + 1))

    def local_state(self, thread):
        return self.named[thread]

    def set_local_state(self, thread, state):
        self.named[thread] = state

    def begin(self, thread):
        self.named[thread] = thread
        return (yield from super().begin(thread))


@pytest.mark.parametrize("design", ["dstm+aggressive", "dstm+any", "eager+timestamp", "tl2", _KeepsItsName])
@settings(max_examples=4, derandomize=True, database=None, deadline=None)
@given(seed=st.integers(0, 2 ** 32))
def test_images_renamed_from_the_kept_parts_are_the_states_renamed_runs_reach(design, seed):
    """Random runs of three threads on counter (local states with stamps: DSTM's parities; a
    manager's choices; tickets; a clock; a thread's name): every state's images are the states
    its renamed schedules reach."""
    setup = api.prepare(design, "counter", threads=3, max_steps=80)
    ex = api.make_explorer(setup, GraphSearch(symmetry=True))
    chooser = _ImagesAsRuns(seed, ex.new_run)
    ex.new_run().execute(chooser)
    assert chooser.images > 0


def _quotient_is_exact(design, workload, threads, cyclic=False):
    """Both searches end with the same verdicts, the quotient is smaller, and its orbits add up to
    the full graph. `workload()`: a workload's name, or a fresh workload for each search."""
    sym_g, sym_ex, sym_out = _search(design, workload(), threads, True, cyclic)
    full_g, full_ex, full_out = _search(design, workload(), threads, False, cyclic)
    assert full_out.exhausted and sym_out.exhausted
    assert (sym_g.product is None) == cyclic         # cyclic programs: no history view at all
    assert _verdicts(sym_out, sym_ex) == _verdicts(full_out, full_ex)
    assert len(sym_g.store) < len(full_g.store)          # it reduced something
    assert _orbit_sum(sym_g, sym_ex) == len(full_g.store)


@pytest.mark.parametrize("design,workload,kind,cyclic", [
    ("tl2", "write-skew", "livelock", False),           # cycles, judged on the lifted graph
    ("lazy", "write-skew", "livelock", False),
    ("tl2", "counter", "starvation", True),
    ("tl2-no-commit-validation", "write-skew", "serializability", False),
    ("norec-no-revalidation", "transfer", "opacity", False),
])
def test_violations_found_by_symmetry_replay_as_real_runs(design, workload, kind, cyclic):
    threads = 2 if cyclic else 3
    g, ex, out = _search(design, workload, threads, True, cyclic)
    found = [v for v in out.violations if v.kind == kind]
    assert found, f"no {kind} found"
    for v in found:       # the schedule reported is a real one: the same run, replayed
        again = api.replay(design, list(v.run.schedule), workload, threads=threads, cyclic=cyclic)
        assert again.violation is not None and again.violation.kind == kind
        assert again.run.events == v.run.events


class _SameProgram(Scripted):
    """`Scripted` whose threads with equal programs are interchangeable."""

    def thread_class(self, thread):
        return tuple(tuple(txn) for txn in self.script[thread - 1])


@on_random_programs(20)
@given(program=st.lists(st.lists(OP, min_size=1, max_size=2), min_size=1, max_size=2).filter(
           lambda p: sum(map(len, p)) <= 3),      # (four accesses in two transactions pass 100,000 states)
       other=st.lists(OP, min_size=1, max_size=2),
       copies=st.sampled_from([2, 3]),
       design=st.sampled_from(["tl2", "norec", "global-lock", "lazy", "tl2-no-read-validation",
                               "lazy-unlocked-commit", "dstm"]))
def test_random_symmetric_programs(program, other, copies, design):
    """Random programs run by two threads at once beside a third, or by three at once (one
    transaction each): the same verdicts as without symmetry, and the orbits add up. DSTM runs
    two threads only (three that write one cell once each: 58,105 states without symmetry)."""
    if design == "dstm":
        script = [program] * 2
    else:
        script = [program] * 2 + [[other]] if copies == 2 else [program[:1]] * 3
    sg, sex, sout = _search(design, _SameProgram(script, retries=None), len(script), True)
    fg, fex, fout = _search(design, _SameProgram(script, retries=None), len(script), False)
    assert fout.exhausted
    assert _verdicts(sout, sex) == _verdicts(fout, fex)
    assert _orbit_sum(sg, sex) == len(fg.store)


# -- what a design must keep to be searched by symmetry ------------------------------------------

def test_tid_is_its_number_but_cannot_be_ordered_or_computed_with():
    t = Tid(2)
    assert t == 2 and hash(t) == hash(2) and repr(t) == "2" and f"{t}" == "2" and t != 0
    with pytest.raises(DesignMisuse, match="ordered"):
        t < 3
    with pytest.raises(DesignMisuse, match="arithmetic"):
        t + 1
    with pytest.raises(DesignMisuse, match="arithmetic"):
        1 << t


def test_relabel_renames_thread_numbers_only():
    names = (0, Tid(3), Tid(2), Tid(1))
    value = (Tid(1), 1, [Tid(3), {"k": Tid(2)}], frozenset({Tid(1)}))
    out = relabel(value, names)
    assert out == (3, 1, [1, {"k": 2}], frozenset({3}))
    assert type(out[0]) is Tid and type(out[1]) is int
    plain = (1, 2, "x")
    assert relabel(plain, names) is plain                     # a value without thread numbers: itself
    assert relabel(((Tid(1),),), names) == ((3,),)            # nested ones renamed


_BROKEN = with_variants('''
    class OrdersThreads(GlobalLock):
        """Breaks the promise: orders two thread numbers."""
        symmetric = True

        def begin(self, thread):
            if thread < 2:
                pass
            return (yield from super().begin(thread))


    class NamesAThread(GlobalLock):
        """Keeps the promise in its steps, but thread 1 owns a cell the others do not."""
        symmetric = True

        def __init__(self, machine, keys, threads):
            super().__init__(machine, keys, threads)
            self.token = machine.lock("token", of_thread=1)


    class OnlyWithTwoThreads(GlobalLock):
        """Says it keeps the promise with two threads only (`symmetric` per instance)."""
        symmetric = True

        def __init__(self, machine, keys, threads):
            super().__init__(machine, keys, threads)
            self.symmetric = threads < 3
''')


@pytest.mark.parametrize("name,message", [
    ("OrdersThreads", "thread 1 was ordered against 2"),
    ("NamesAThread", "threads 1, 2, 3 own different numbers of cells"),
    ("OnlyWithTwoThreads", "OnlyWithTwoThreads does not allow a search by symmetry here"),
])
def test_a_design_that_breaks_the_promise_is_a_usage_error(tmp_path, name, message):
    path = tmp_path / "broken.py"
    path.write_text(_BROKEN)
    with pytest.raises(api.UsageError, match=message):
        api.explore(f"{path}:{name}", "counter", threads=3, symmetry=True)


@pytest.mark.parametrize("args,message", [
    (["explore", "tl2-quiescent", "--threads", "3", "--symmetry"], "does not say it can be searched by symmetry"),
    (["explore", "tl2", "--threads", "3", "--symmetry", "--strategy", "dpor"], "--strategy graph"),
    (["explore", "tl2", "--threads", "2", "--symmetry"], "no two of the 2 threads"),
    (["explore", "tl2", "--threads", "3", "--workload", "random", "--symmetry"], "does not say which threads"),
    (["explore", "tl2", "--threads", "3", "--symmetry", "--estimate"], "--symmetry does not apply"),
    (["explore", "global-lock", "--threads", "7", "--workload", "counter", "--symmetry"], "5,040 renamings"),
    (["explore", "tl2", "--threads", "3", "--symmetry", "--cluster", "local:2"], "not split across a cluster"),
])
def test_usage_errors(args, message):
    out = CliRunner().invoke(main, args)
    assert out.exit_code == 2, out.output
    assert message in out.output and "Traceback" not in out.output
