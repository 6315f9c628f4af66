"""The witness automaton (checker/explore/witnesskey.py) against the checker.

Read over a whole history, the automaton accepts exactly when the criterion
holds (the real checker, itself tested against brute force, is the oracle),
and its set of configurations is empty only when no continuation could hold.
It is asked at every prefix, as along a run.
"""

import itertools
import random

from hypothesis import given, settings, strategies as st

from stmcheck.checker.history.criteria import check
from stmcheck.checker.explore import witnesskey
from stmcheck.checker.explore.witnesskey import (ABORT, LIVE, WitnessKey, _live, _minimal, _order_key,
                                                 _reads_to_place, _without, _without_twins)
from stmcheck.models.history import HistoryBuilder

KEYS = ("x", "y")


class FakeRun:
    """What WitnessKey reads of a run: its events (growing) and commits."""

    def __init__(self, threads):
        self.threads, self.events, self.commits = threads, [], 0


def events_of(attempts, order):
    """Interleave per-thread attempts (lists of (ops, outcome)) in the order of thread choices."""
    streams = []
    txn = 0
    for t, atts in enumerate(attempts, 1):
        evs = []
        for ops, outcome in atts:
            txn += 1
            evs.append({"thread": t, "txn": f"t{txn}", "op": "begin"})
            for kind, key, value in ops:
                evs.append({"thread": t, "txn": f"t{txn}", "op": kind, "key": key, "value": value})
            evs.append({"thread": t, "txn": f"t{txn}", "op": outcome})
        streams.append(evs)
    out, pos = [], [0] * len(streams)
    for c in order:
        live = [i for i, s in enumerate(streams) if pos[i] < len(s)]
        if not live:
            break
        i = live[c % len(live)]
        out.append(streams[i][pos[i]])
        pos[i] += 1
    for i, s in enumerate(streams):
        out.extend(s[pos[i]:])
    return out


def verdicts(events, threads):
    """(automaton accepts, checker says it holds) for opacity and strict serializability."""
    b = HistoryBuilder(initial={k: 0 for k in KEYS})
    for e in events:
        b.add(e)
    results = check(b.finish(), ["opacity", "strict-serializability"])
    out = []
    for committed_only, r in zip((False, True), results):
        key, run = WitnessKey({k: 0 for k in KEYS}, committed_only), FakeRun(threads)
        for e in events:   # the key is asked at every state of a run, as the strategy does
            run.events.append(e)
            configs, _ = key(run)
            if not configs:
                assert r.holds is False, "an empty set promises that every continuation fails"
        assert all(not u for _, u in key.configs), "at a quiescent point every attempt is placed"
        out.append((key.accepts(), r.holds))
    return out


def _keys(events, threads):
    """Opacity's set of configurations after each event, read as along a run."""
    k, run = WitnessKey({k: 0 for k in KEYS}, False), FakeRun(threads)
    out = []
    for e in events:
        run.events.append(e)
        out.append(k(run)[0])
    return out


OP = st.tuples(st.sampled_from(["read", "write"]), st.sampled_from(KEYS), st.integers(0, 2))
ATTEMPT = st.tuples(st.lists(OP, max_size=3), st.sampled_from(["commit", "commit", "abort"]))
THREAD = st.lists(ATTEMPT, min_size=1, max_size=3)


@settings(max_examples=400, derandomize=True, database=None, deadline=None)
@given(attempts=st.lists(THREAD, min_size=2, max_size=3), order=st.lists(st.integers(0, 5), max_size=40))
def test_summary_decides_like_the_checker(attempts, order):
    events = events_of(attempts, order)
    for mine, theirs in verdicts(events, len(attempts)):
        assert mine == theirs


def test_both_verdicts_are_exercised():
    """The differential test above means something only if both answers are common."""
    rng = random.Random(7)
    seen = {True: 0, False: 0}
    for _ in range(300):
        attempts = [[([(rng.choice(["read", "write"]), rng.choice(KEYS), rng.randint(0, 2))
                       for _ in range(rng.randint(0, 3))], rng.choice(["commit", "abort"]))
                     for _ in range(rng.randint(1, 3))] for _ in range(2)]
        events = events_of(attempts, [rng.randint(0, 1) for _ in range(30)])
        for mine, theirs in verdicts(events, 2):
            assert mine == theirs
            seen[theirs] += 1
    assert seen[True] > 50 and seen[False] > 50


def test_an_attempt_that_touched_nothing_is_forgotten():
    """Prefixes that differ only in an attempt that aborted before touching anything (thread
    2's first) have the same key, at every point; an aborted attempt that read a value already
    overwritten when it began leaves no configuration at all (opacity is lost for good)."""
    def keys(attempts, order):
        return _keys(events_of(attempts, order), 2)

    t1 = [([("write", "x", 1)], "commit")]
    plain = keys([t1, [([("read", "x", 1)], "commit")]], [0, 0, 0, 1, 1, 1])
    empty = keys([t1, [([], "abort"), ([("read", "x", 1)], "commit")]], [1, 0, 0, 0, 1, 1, 1, 1])
    assert plain[2] == empty[4] and plain[-1] == empty[-1]    # after T1's commit (and T2's abort); at the end
    stale = keys([t1, [([("read", "x", 0)], "abort"), ([("read", "x", 1)], "commit")]], [0, 0, 0, 1, 1])
    assert stale[5] == frozenset() and stale[-1] == frozenset()


def test_aborted_attempts_that_fit_now_are_forgotten():
    """Thread 1 aborts once or three times (each attempt read what is current) while thread 2's
    attempt stays live: every witness order may place those attempts at once, so the sets are
    the same (before, each abort made a new set, and eager-aggressive's graph never ended). An
    attempt that read a value no longer current stays: it cannot be placed now."""
    def key_after(t1_attempts):
        ev = events_of([t1_attempts, [([("read", "x", 0)], "commit")]], [1, 1] + [0] * 20)
        k, run = WitnessKey({k: 0 for k in KEYS}, False), FakeRun(2)
        for e in ev[:2 + sum(len(ops) + 2 for ops, _ in t1_attempts)]:   # T2 begun and read; T1 done
            run.events.append(e)
            configs, _ = k(run)
        return configs

    fits = ([("read", "x", 0), ("read", "y", 0)], "abort")
    assert key_after([fits]) == key_after([fits, fits, fits])
    assert key_after([fits]) != key_after([fits, ([("read", "x", 2)], "abort")])


def test_aborted_twins_waiting_for_a_commit_make_one_set_however_many_rounds():
    """Thread 1 wrote x = 1 and has not committed (a DSTM writer past its commit step, its commit
    event still to come); threads 2 and 3 read x = 1 and abort, round after round. Those attempts
    cannot be placed before thread 1 is, and each round added one to every configuration (the
    views of dstm+timestamp counter, three threads, grew without end); a twin now stands for
    the rest. The verdict is kept: thread 1's commit makes the history opaque, its abort not."""
    round_ = ([("read", "x", 1), ("write", "x", 2)], "abort")

    def history(rounds, end):
        t1 = [([("read", "x", 0), ("write", "x", 1)], end)]
        order = [0, 0, 0] + [1, 1, 1, 1, 2, 2, 2, 2] * rounds + [0]
        return events_of([t1, [round_] * rounds, [round_] * rounds], order)

    def key_before_the_end(rounds):
        return _keys(history(rounds, "commit")[:-1], 3)[-1]

    assert key_before_the_end(2) == key_before_the_end(5) == key_before_the_end(9)
    assert max(len(u) for _, u in key_before_the_end(9)) <= 4    # thread 1's and two twins at most
    for end, holds in (("commit", True), ("abort", False)):
        for rounds in (1, 3, 6):
            assert verdicts(history(rounds, end), 3)[0] == (holds, holds)


def test_rounds_that_overlap_go_as_one_block():
    """A configuration the search met (eager-aggressive on intset, three threads): thread 2 wrote
    head = 3 and its commit event is still to come; five rounds of threads 1 and 3 read it and
    aborted, each overlapping the other thread's last, after a first round that read more. No
    round's predecessors are another's plus that one, so no single twin stood for another, and
    such views grew round after round (8,252,840 states on 20,521 places, not the end); the
    six go as one block beside one of them that every live follower follows and whose reads hold
    the others' (`_without_twins`). Read from it and from the smaller one, random continuations
    get the same verdicts."""
    read, more = (("read", "head", 3),), (("read", "head", 3), ("read", "n1", 3))
    u = ((0, more, ABORT, 0), (0, read, ABORT, 0), (0, read, ABORT, 1), (0, read, ABORT, 3),
         (0, read, ABORT, 7), (0, read, ABORT, 15), (1, (), LIVE, 31),
         (2, (("read", "head", 1), ("read", "n1", 3), ("write", "head", 3)), LIVE, 0), (3, (), LIVE, 63))
    state = frozenset({("head", 1), ("n1", 3), ("n2", 0), ("n3", 0)})
    fewer = _without_twins(u)
    assert [x[1] for x in fewer if x[2] == ABORT] == [more]
    assert [x[:3] for x in fewer if x[2] == LIVE] == [x[:3] for x in u if x[2] == LIVE]
    rng, seen = random.Random(3), {True: 0, False: 0}
    keys = {k: 0 for k in ("head", "n1", "n2", "n3")}
    for _ in range(800):
        events = [dict(e, key=rng.choice(sorted(keys)), value=rng.choice([1, 3])) if "key" in e else e
                  for e in _random_continuation(rng, u)]
        a, b = (WithoutTwinsKept(keys, False) for _ in range(2))
        x, y = frozenset({(state, u)}), frozenset({(state, fewer)})
        for e in events:
            x, y = a.step(x, e), b.step(y, e)
        assert _accepts(x) == _accepts(y), events
        seen[_accepts(x)] += 1
    assert min(seen.values()) > 20, seen


def test_an_attempt_that_read_its_own_write_stands_for_none_that_read_it_from_outside():
    """Attempt A wrote x = 1 and read it back (it fits anywhere), B read x = 1 from the state: B's
    operations are among A's, yet B fits only where x is 1, so A cannot stand for it (the
    subset rule of `_stood_for` asks A to have only read). The automaton keeps only reads for a
    valid aborted attempt (`_reads_to_place`); this configuration is kept as given."""
    u = ((0, (("write", "x", 1), ("read", "x", 1)), ABORT, 0), (0, (("read", "x", 1),), ABORT, 0))
    assert _without_twins(u) == u
    assert _reads_to_place(u[0][1]) == ()


class WithoutTwinsKept(WitnessKey):
    """The automaton keeping every aborted twin (as before `_without_twins`): the same verdicts,
    more configurations."""

    def step(self, configs, e):
        saved, witnesskey._without_twins = witnesskey._without_twins, lambda u: u
        try:
            return super().step(configs, e)
        finally:
            witnesskey._without_twins = saved


ROUND = st.tuples(st.lists(OP, min_size=1, max_size=2), st.just("abort"))


@settings(max_examples=400, derandomize=True, database=None, deadline=None)
@given(first=THREAD, twins=st.lists(st.tuples(ROUND, st.integers(1, 4), ATTEMPT), min_size=1, max_size=2),
       order=st.lists(st.integers(0, 5), max_size=60))
def test_aborted_twins_decide_like_the_checker(first, twins, order):
    """Threads that abort the same attempt again and again (and then end one way or another)
    beside a thread of any attempts: the automaton, twins dropped, decides as the checker at
    the end, as it does keeping them at every prefix, and never holds more configurations."""
    attempts = [first] + [[r] * n + [last] for r, n, last in twins]
    events = events_of(attempts, order)
    for mine, theirs in verdicts(events, len(attempts)):
        assert mine == theirs
    plain, kept, run, run2 = (WitnessKey({k: 0 for k in KEYS}, False), WithoutTwinsKept({k: 0 for k in KEYS}, False),
                              FakeRun(len(attempts)), FakeRun(len(attempts)))
    for e in events:
        run.events.append(e)
        run2.events.append(e)
        a, b = plain(run)[0], kept(run2)[0]
        assert bool(a) == bool(b) and _accepts(a) == _accepts(b)
        assert sum(map(len, (u for _, u in a))) <= sum(map(len, (u for _, u in b)))


def _accepts(configs) -> bool:
    return any(not u for _, u in configs)


def test_twins_are_common_in_such_histories():
    """The test above means something only if twins are dropped there often: in 300 random
    histories of its shape, the automaton held fewer attempts than one keeping twins in many,
    with the same verdicts at every prefix."""
    rng, fewer = random.Random(11), 0

    def attempt(aborts=False):
        ops = [(rng.choice(["read", "write"]), rng.choice(KEYS), rng.randint(0, 2)) for _ in range(rng.randint(1, 2))]
        return ops, "abort" if aborts else rng.choice(["commit", "abort"])

    for _ in range(300):
        attempts = [[attempt()]] + [[attempt(True)] * rng.randint(2, 4) + [attempt()] for _ in range(2)]
        events = events_of(attempts, [rng.randint(0, 5) for _ in range(60)])
        plain, kept = WitnessKey({k: 0 for k in KEYS}, False), WithoutTwinsKept({k: 0 for k in KEYS}, False)
        run, run2, smaller = FakeRun(3), FakeRun(3), False
        for e in events:
            run.events.append(e)
            run2.events.append(e)
            a, b = plain(run)[0], kept(run2)[0]
            assert _accepts(a) == _accepts(b)
            smaller |= sum(map(len, (u for _, u in a))) < sum(map(len, (u for _, u in b)))
        fewer += smaller
    assert fewer >= 30, fewer


@settings(max_examples=300, derandomize=True, database=None, deadline=None)
@given(attempts=st.lists(THREAD, min_size=2, max_size=3), order=st.lists(st.integers(0, 5), max_size=40),
       pick=st.integers(0, 10))
def test_attempts_that_began_in_another_order_are_read_alike(attempts, order, pick):
    """Two begins next to each other, swapped: the same real-time order, another begin order.
    The sets are equal once both have begun (the attempts are kept in an order of their own,
    `_order_key`), and every prefix after gets the same verdict, empty set or not."""
    events = events_of(attempts, order)
    spots = [i for i in range(len(events) - 1)
             if events[i]["op"] == events[i + 1]["op"] == "begin" and events[i]["thread"] != events[i + 1]["thread"]]
    if not spots:
        return
    i = spots[pick % len(spots)]
    swapped = events[:i] + [events[i + 1], events[i]] + events[i + 2:]
    one, other = _keys(events, len(attempts)), _keys(swapped, len(attempts))
    assert one[i + 1] == other[i + 1]
    for a, b in zip(one[i + 1:], other[i + 1:]):
        assert (not a, any(not u for _, u in a)) == (not b, any(not u for _, u in b))


def test_three_overlapping_attempts_make_one_set_whatever_order_they_began_in():
    """Three threads each begin and read, in each of the six orders of their begins: one set
    (in begin order there were six)."""
    sets = set()
    for first in itertools.permutations((1, 2, 3)):
        events = [{"thread": t, "txn": f"t{t}", "op": "begin"} for t in first]
        events += [{"thread": t, "txn": f"t{t}", "op": "read", "key": KEYS[t % 2], "value": 0} for t in (1, 2, 3)]
        sets.add(_keys(events, 3)[-1])
    assert len(sets) == 1


def sorted_by_definition(config: tuple) -> tuple:
    """`config` with its attempts sorted by `_order_key` (stably) and every predecessor bit
    renumbered to follow its attempt: the order's definition, by brute force."""
    state, u = config
    order = sorted(range(len(u)), key=lambda i: _order_key(u[i]))
    at = {old: new for new, old in enumerate(order)}
    moved = []
    for old in order:
        th, ops, status, preds = u[old]
        moved.append((th, ops, status, sum(1 << at[j] for j in range(len(u)) if preds >> j & 1)))
    return state, tuple(moved)


class SortedAfterwards(WitnessKey):
    """The automaton as it was: a begin appends its attempt, an end leaves it where it stood,
    and every configuration made is sorted afterwards (`sorted_by_definition`)."""

    def step(self, configs, e):
        op, t = e["op"], e["thread"]
        out = set()
        for state, u in configs:
            if op == "begin":
                preds = sum(1 << j for j, x in enumerate(u) if x[2] != LIVE)
                out.add((state, u + ((t, (), LIVE, preds),)))
                continue
            i = _live(u, t)
            th, ops, status, preds = u[i]
            if op in ("read", "write"):
                out.add((state, u[:i] + ((th, ops + ((op, str(e["key"]), e["value"]),), status, preds),) + u[i + 1:]))
                continue
            if op == ABORT:
                ops = _reads_to_place(ops)
            if op == ABORT and (not ops or self.committed_only):
                out.update(self._closure((state, _without(u, i))))
            else:
                state, u = sorted_by_definition((state, u[:i] + ((0, ops, op, preds),) + u[i + 1:]))
                out.update(self._closure((state, _without_twins(u) if op == ABORT else u)))
        return _minimal({sorted_by_definition(c) for c in out}, {})

    def relabel(self, view, names):
        configs, commits = view
        renamed = {sorted_by_definition((state, tuple((names[th] if th else 0, ops, status, preds)
                                                      for th, ops, status, preds in u)))
                   for state, u in configs}
        return frozenset(renamed), commits


@settings(max_examples=400, derandomize=True, database=None, deadline=None)
@given(attempts=st.lists(THREAD, min_size=1, max_size=3), order=st.lists(st.integers(0, 5), max_size=40),
       committed_only=st.booleans(), names=st.permutations([1, 2, 3]))
def test_the_order_kept_as_the_automaton_goes_is_the_order_sorted_afterwards(attempts, order, committed_only, names):
    """Every set the automaton makes, and every set renamed by a permutation of the threads
    (`relabel`, a search by symmetry), against the same automaton sorting each configuration
    by the order's definition: equal sets at every prefix."""
    events = events_of(attempts, order)
    kept = WitnessKey({k: 0 for k in KEYS}, committed_only)
    oracle = SortedAfterwards({k: 0 for k in KEYS}, committed_only)
    names = (0,) + tuple(names)
    a = b = frozenset({(kept.start, ())})
    for e in events:
        a, b = kept.step(a, e), oracle.step(b, e)
        assert a == b
        assert kept.relabel((a, 0), names) == oracle.relabel((b, 0), names)


def _random_configuration(rng):
    """A configuration as the automaton keeps one, built at random: a committed state, ended
    attempts (thread 0; their operations from a small pool, so that twins are common) with
    predecessors among the earlier ended ones, then live attempts of threads 1..3 with
    predecessors among the ended ones; sorted by the order's definition."""
    pool = [tuple((rng.choice(["read", "write"]), rng.choice(KEYS), rng.randint(0, 2))
                  for _ in range(rng.randint(1, 2))) for _ in range(3)]
    state = frozenset((k, rng.randint(0, 2)) for k in KEYS)
    ended = rng.randint(1, 5)
    u = [(0, rng.choice(pool), rng.choice([ABORT, ABORT, ABORT, "commit"]),
          sum(1 << j for j in range(i) if rng.random() < 0.6)) for i in range(ended)]
    # an aborted attempt's operations as the automaton keeps them (`_reads_to_place`), now and then
    u = [(th, _reads_to_place(ops) or ops if status == ABORT and rng.random() < 0.5 else ops, status, preds)
         for th, ops, status, preds in u]
    for t in rng.sample([1, 2, 3], rng.randint(0, 2)):
        ops = tuple((rng.choice(["read", "write"]), rng.choice(KEYS), rng.randint(0, 2)) for _ in range(rng.randint(0, 1)))
        u.append((t, ops, LIVE, sum(1 << j for j in range(ended) if rng.random() < 0.7)))
    return sorted_by_definition((state, tuple(u)))


def _random_continuation(rng, u):
    """Events that end every live attempt of `u` and run a few more attempts to their end."""
    live = {th for th, _, status, _ in u if status == LIVE}
    budget = {t: rng.randint(0, 2) for t in (1, 2, 3)}
    events = []
    while live or any(budget.values()):
        t = rng.choice([t for t in (1, 2, 3) if t in live or budget[t]])
        if t not in live:
            budget[t] -= 1
            live.add(t)
            events.append({"op": "begin", "thread": t})
        elif rng.random() < 0.6:
            events.append({"op": rng.choice(["read", "write"]), "thread": t, "key": rng.choice(KEYS),
                           "value": rng.randint(0, 2)})
        else:
            live.discard(t)
            events.append({"op": rng.choice(["commit", "abort"]), "thread": t})
    return events


def test_a_configuration_and_the_one_without_its_twins_accept_the_same_continuations():
    """`_without_twins`' promise, by brute force: random configurations with aborted twins, each
    read from it and from itself without twins by the automaton that keeps them, over random
    continuations to the end: the same verdict every time. Both verdicts and many removals are
    met."""
    rng, removed, seen = random.Random(5), 0, {True: 0, False: 0}
    for _ in range(3000):
        state, u = _random_configuration(rng)
        fewer = _without_twins(u)
        if fewer == u:
            continue
        removed += 1
        for _ in range(6):
            events = _random_continuation(rng, u)
            a, b = (WithoutTwinsKept({k: 0 for k in KEYS}, False) for _ in range(2))
            x, y = frozenset({(state, u)}), frozenset({(state, fewer)})
            for e in events:
                x, y = a.step(x, e), b.step(y, e)
            assert _accepts(x) == _accepts(y), (state, u, fewer, events)
            seen[_accepts(x)] += 1
    assert removed > 300 and min(seen.values()) > 100, (removed, seen)


@settings(max_examples=200, derandomize=True, database=None, deadline=None)
@given(attempts=st.lists(THREAD, min_size=2, max_size=3), order=st.lists(st.integers(0, 5), max_size=40),
       broken=st.tuples(st.booleans(), st.booleans(), st.booleans()), at=st.integers(0, 40),
       names=st.permutations([1, 2, 3]))
def test_a_forgotten_criterion_stays_forgotten_and_the_others_are_untouched(attempts, order, broken, at, names):
    """`forget` (the fold's `Forgetting`, strategies/views_after.py), applied after every event
    from event `at` on, as the fold applies it: the criteria forgotten read broken to the end,
    the commits are counted as before, and every other criterion's view is the one read without
    forgetting, renamed or not (a search by symmetry)."""
    from stmcheck.checker.explore.witnesskey import AllCriteriaView
    events = [witnesskey.event_tuple(e) for e in events_of(attempts, order)]
    view = AllCriteriaView({k: 0 for k in KEYS})
    run = FakeRun(len(attempts))
    plain = forgot = view(run)
    renaming = (0,) + tuple(names[:len(attempts)]) if sorted(names[:len(attempts)]) == list(
        range(1, len(attempts) + 1)) else None
    for i, e in enumerate(events):
        plain = view.after(plain, (e,))
        forgot = view.after(forgot, (e,))
        if i >= at:
            forgot = view.forget(forgot, broken)
    if at < len(events):
        assert view.commits(forgot) == view.commits(plain)
        for k, gone in enumerate(broken):
            if gone:
                assert view.verdicts(forgot)[k] is False
            else:
                assert forgot[k] == plain[k] and view.verdicts(forgot)[k] == view.verdicts(plain)[k]
        if renaming is not None:
            renamed, forgot_renamed = view.relabel(plain, renaming), view.relabel(forgot, renaming)
            assert view.forget(renamed, broken) == forgot_renamed
            assert view.forget(view.after(forgot_renamed, ()), broken) == forgot_renamed
    else:
        assert forgot == plain
