"""What opacity and strict serializability still need of a history prefix.

Why: stateful DPOR (`dpor_cache`) may skip the subtree below a state it has
explored already only if every continuation gets the same verdict there and
here. With the whole history so far in the key (`statekey.history_key`), runs
of tl2 transfer 2 x 2 that reach the same memory and thread positions rarely
meet again: they differ in what some aborted attempt read long ago, or in
which attempt ended before which began. The criterion cannot tell most of
those prefixes apart.

How: the prefix is read by an automaton whose state is every way a witness
order could have begun: a set of *configurations*, each the committed state
reached by the attempts placed so far (in a legal order that keeps real-time
order) and the attempts not placed yet, with their operations, whether they
ended, and which of them ended before each began (a bit per attempt in an int:
renumbered with two shifts when one is placed, and 28 bytes where a frozenset
took 216 or more). An attempt can be placed
once it has ended and everything that ended before it began is placed; the
set holds every choice of placing it now or later, except where later is no
choice: an attempt that must precede every live attempt (and so every later
one) is placed before them in every witness order, so configurations that
leave one unplaced are dropped, the ones that place it being in the set. At
a point where no attempt is live this is exactly the set of states the
witness orders of the prefix end in. The prefix has a witness
(the criterion holds) when some configuration has placed everything; the set
is empty when no continuation can have one. Two prefixes with the same set
get the same verdict on every continuation, since the automaton reads the
rest from the set alone.

Refinements that keep that: the unplaced attempts are kept in an order of their
own, not the order they began in (`_order_key`: runs that began overlapping
attempts in another order meet again); an attempt that aborted before reading or writing
anything is dropped (it reads nothing, its writes never count, and it fits in
any witness order between its real-time predecessors and successors, which
the order keeps apart already); for strict serializability every aborted
attempt is dropped (strict serializability says nothing about it, its reads of
its own writes included); and a configuration goes when another has the same
committed state and the same unplaced attempts but for aborted ones it placed
(`_subsumes`: without that, a thread aborted over and over while another's
attempt stays live made a new set at every abort, and eager-aggressive's
graph on transfer did not end at 300,000 states); an aborted attempt is kept as
the reads that place it (`_reads_to_place`: its writes, which placing it never
applies, and its reads of them go); and aborted attempts go when an aborted
one that reads as much stands for them, as one block (`_without_twins`:
attempts that read a value whose writer's commit event is still to come cannot
be placed, and two threads aborting each other meanwhile added one a round, so
that the views of dstm counter, 3 threads, grew past 15 million states on
186,762 places; 216,228 since).

Not for serializability (without real-time order a later transaction may be
ordered before an earlier one, so every attempt stays unplaced), nor for
object workloads (an operation spans every attempt it made), nor where the
caller judges every history for every criterion (the matrix): the explorer
decides (`Explorer.history_view`).
"""

from __future__ import annotations

from stmcheck.models.history import HistoryBuilder, canonical_value, json_value, same_value

from ..history.criteria import check

LIVE, COMMIT, ABORT = "live", "commit", "abort"


def event_tuple(e: dict) -> tuple:
    """A history event as the views read it: (op, thread, key, value in canonical form)."""
    return e["op"], e["thread"], e.get("key"), canonical_value(e.get("value"))


_NONE: frozenset = frozenset()     # no configuration: no continuation has a witness order


def _accepting(configs) -> bool:
    """Some configuration has placed every attempt: the history read has a witness order."""
    return any(not u for _, u in configs)


class WitnessKey:
    """The history part of a state key for opacity or (`committed_only`) strict
    serializability, computed incrementally along each run."""

    def __init__(self, initial: dict, committed_only: bool):
        self.start = frozenset((str(k), canonical_value(v)) for k, v in initial.items())
        self.committed_only = committed_only
        self.closed: dict = {}   # configuration -> its closure (memo)
        self.memo: dict = {}     # (configurations, event's op, thread, key, value) -> `step`'s answer
        self.sets: dict = {}     # each distinct answer, once: the memo's equal answers share it
        self.canon: dict = {}    # each configuration kept, once (sets that share one share it: memory)
        self.renamed: dict = {}  # (configurations, renaming) -> `relabel`'s answer (a search by symmetry)
        self._run = None

    def __call__(self, run) -> tuple:
        if run is not self._run:
            self._run, self._pos = run, 0
            self.configs = frozenset(((self.start, ()),))
        events, configs = run.events, self.configs
        for i in range(self._pos, len(events)):
            configs = self._next(configs, event_tuple(events[i]))
        self.configs, self._pos = configs, len(events)
        return configs, run.commits

    def _next(self, configs: frozenset, event: tuple) -> frozenset:
        """`step`, memoised: it is a function of (configurations, event), and a run that replays
        a path others took, or a fold over stored edges, meets the same pairs again (frozensets
        keep their hash, so a lookup is cheap)."""
        k = (configs,) + event
        try:
            found = self.memo.get(k)
        except TypeError:        # an unhashable value: step without the memo
            k = None
            found = None
        if found is None:
            op, t, key, value = event
            found = self.step(configs, {"op": op, "thread": t, "key": key, "value": value})
            found = self.sets.setdefault(found, found)   # one object per distinct set (memory)
            if k is not None:
                self.memo[k] = found
        return found

    def accepts(self) -> bool:
        """The history read so far has a witness order."""
        return _accepting(self.configs)

    # -- the same automaton, read over a stored graph's edges (strategies/graph.py, "Views after places")
    def after(self, view: tuple, events: tuple) -> tuple:
        """The view after `view` has read `events` (`event_tuple`s): what `__call__` would give a
        run that read them next."""
        configs, commits = view
        for event in events:
            configs = self._next(configs, event)
            commits += event[0] == COMMIT
        return configs, commits

    def relabel(self, view: tuple, names: tuple) -> tuple:
        """`view` with thread t renamed `names[t]`: the view of the history with its threads
        renamed (only live attempts keep their thread), for a search by symmetry (symmetry.py)."""
        configs, commits = view
        key = (configs, names)
        found = self.renamed.get(key)     # (sets are shared objects: `sets`; the same one recurs)
        if found is None:
            canon = self.canon
            out = []
            for state, u in configs:
                k = _ended_count(u)     # ended attempts have no thread; the live ones are re-sorted
                live = sorted([(names[th], ops, status, preds) for th, ops, status, preds in u[k:]])
                c = (state, u[:k] + tuple(live))
                out.append(canon.setdefault(c, c))
            found = frozenset(out)
            found = self.renamed[key] = self.sets.setdefault(found, found)
        return found, commits

    @staticmethod
    def verdicts(view: tuple) -> tuple:
        """(`accepts`,) of a view `after` gave."""
        return (_accepting(view[0]),)

    @staticmethod
    def forget(view: tuple, broken: tuple) -> tuple:
        """`view` with the criterion forgotten if `broken[0]` (some history already broke it: the
        fold of views, views_after.py): no configuration left, the view of a prefix no
        continuation can mend, which `after` keeps so and `verdicts` rejects; the commits stay."""
        return (_NONE, view[1]) if broken[0] else view

    @staticmethod
    def commits(view: tuple) -> int:
        return view[1]

    @staticmethod
    def covers(old: tuple, new: tuple) -> bool:
        """Every continuation that breaks the criterion after a prefix with view `new` breaks it
        after one with view `old` too, so a search that has explored `old`'s state need not
        explore `new`'s where memory and positions are the same (strategies/graph.py).

        Why: the criterion holds for a history when, after reading it, some configuration has
        placed every attempt; each configuration is read on its own (`step` maps every one to
        its successors; `_minimal`, `_dominated` and the forced placements drop only those
        another one in the set stands for), so a history accepted from `old` ⊆ `new` is
        accepted from `new`. The commits so far must be equal (the invariant reads them)."""
        return old[1] == new[1] and old[0] <= new[0]

    @staticmethod
    def cover_form(view: tuple) -> tuple:
        """(key, items): `covers(old, new)` holds exactly when the keys are equal and `old`'s
        items are among `new`'s, a form a caller can test without calling back (the C fold)."""
        return view[1], view[0]

    # -- the automaton ----------------------------------------------------------------------------
    def step(self, configs: frozenset, e: dict) -> frozenset:
        """The set after event `e`, every configuration kept in order (`_order_key`): a read or a
        write leaves the order as it is, a begin inserts its attempt among the live ones by
        thread, an end moves it among the ended ones (`_ended`), and placing an attempt removes
        it (`_without`), which leaves the others in order."""
        op, t = e["op"], e["thread"]
        out: set = set()
        if op == "read" or op == "write":
            item = (op, str(e["key"]), canonical_value(e["value"]))
            for state, u in configs:
                i = _live(u, t)
                th, ops, status, preds = u[i]
                out.add((state, u[:i] + ((th, ops + (item,), status, preds),) + u[i + 1:]))
            return _minimal(out, self.canon)
        if op == "begin":
            for state, u in configs:
                ended = _ended_count(u)   # they come first: its predecessors are exactly they
                i = ended
                while i < len(u) and int(u[i][0]) < int(t):     # (by `_order_key`'s thread)
                    i += 1
                out.add((state, u[:i] + ((t, (), LIVE, (1 << ended) - 1),) + u[i:]))
            return _minimal(out, self.canon)
        # An ended attempt is never looked up by thread again (`_live`): `_ended` drops its thread,
        # so that views differing only in who ran it are equal (and cover each other).
        for state, u in configs:     # commit or abort
            i = _live(u, t)
            if op != ABORT:
                out.update(self._closure((state, _ended(u, i, op, u[i][1]))))
                continue
            # an aborted attempt is kept as the reads that place it (strict serializability keeps none)
            ops = () if self.committed_only else _reads_to_place(u[i][1])
            if ops:
                out.update(self._closure((state, _without_twins(_ended(u, i, op, ops)))))
            else:
                out.update(self._closure((state, _without(u, i))))
        return _minimal(out, self.canon)

    def _closure(self, config) -> frozenset:
        """Every configuration reachable by placing ended attempts (forced ones at once), but
        the dominated ones (`_dominated`)."""
        done = self.closed.get(config)
        if done is not None:
            return done
        # Recursively, each configuration's closure memoised: those met by placing attempts
        # are shared by many (which attempt is placed first, from which view); the filter
        # keeps or drops each configuration on its own, so it commutes with the union.
        state, u = config
        forced = _forced(u)
        if forced is not None:
            nxt = self._place(state, u, forced)
            done = self._closure(nxt) if nxt is not None else frozenset()
        else:
            out = set() if _dominated(u) else {config}
            for i, (_, _, status, preds) in enumerate(u):
                if status != LIVE and not preds:
                    nxt = self._place(state, u, i)
                    if nxt is not None:
                        out |= self._closure(nxt)
            done = frozenset(out)
        self.closed[config] = done
        return done

    def _place(self, state: frozenset, u: tuple, i: int):
        """Place u[i] next in the witness order: the new configuration, or None if it cannot go there."""
        _, ops, status, _ = u[i]
        st = None
        own: dict = {}
        for kind, key, value in ops:
            if kind == "write":
                own[key] = value
            else:
                if key in own:
                    expected = own[key]
                else:
                    if st is None:
                        st = dict(state)
                    expected = st.get(key)
                if not same_value(expected, value):
                    return None
        if status == COMMIT and own:
            st = dict(state) if st is None else st
            st.update(own)
            state = frozenset(st.items())
        return state, _without(u, i)


def _reads_to_place(ops: tuple) -> tuple:
    """An aborted attempt's operations as placing it reads them (`_place`, which checks its reads
    and applies none of its writes): each read of a value it did not write itself, once, in one
    order; none at all if that is all it did (it then fits anywhere, as one that touched nothing:
    `step` drops it). `ops` as they are if it read back a value other than its own last write
    (it fits nowhere, as before). Why: the same reads make twins (`_without_twins`) of attempts
    that differ only in a write nobody read (eager-aggressive on intset, three threads: rounds that
    read head and then wrote a node beside rounds that were aborted before the write)."""
    own: dict = {}
    outside = []
    for kind, key, value in ops:
        if kind == "write":
            own[key] = value
        elif key in own:
            if not same_value(own[key], value):
                return ops
        else:
            outside.append((kind, key, value))
    try:
        return tuple(sorted(set(outside), key=repr))
    except TypeError:            # an unhashable value: the reads as they came
        return tuple(outside)


def _minimal(configs: set, canon: dict) -> frozenset:
    """The configurations no other one in the set dominates (`_subsumes`): a canonical form of
    the set, since domination is a partial order (its minimal elements are unique). Each one
    is `canon`'s equal one: sets that share a configuration share its object (memory)."""
    by_state: dict = {}
    for state, u in configs:
        by_state.setdefault(state, []).append(u)
    out = []
    for state, us in by_state.items():
        if len(us) > 1:
            us.sort(key=len)
            kept: list = []
            for u in us:
                if not any(len(v) < len(u) and _subsumes(v, u) for v in kept):
                    kept.append(u)
            us = kept
        for u in us:
            c = (state, u)
            out.append(canon.setdefault(c, c))
    return frozenset(out)


def _order_key(attempt: tuple) -> tuple:
    """Where an attempt stands in its configuration: the automaton keeps the unplaced attempts
    sorted by this key, (thread, status, operations; an ended attempt's thread is 0), not in
    the order they began; ended attempts equal in all three keep the order they ended in.

    Why: two runs that reach the same memory and positions often began their overlapping
    attempts in another order (three threads: six orders of three live attempts). Nothing the
    automaton does depends on an attempt's index: a live attempt is found by its thread
    (`_live`), a new one's predecessors are the ended ones whatever their place, `_forced`
    picks the one attempt (there is at most one: two would each have begun after the other
    ended) that every other one follows, `_dominated` and the closure's placements look at
    every attempt alike, and `_place` and acceptance read the attempt alone. So two
    configurations that are the same attempts in another order, with the same real-time order
    between them (the predecessor bits renumbered), are read alike by every continuation, and
    the set may hold either. tl2 transfer 3 x 1: 61,921 states and 1,216 views in begin order,
    21,443 and 527 in this one; norec 3 x 1: 16,706 and 4,112.

    How the order is kept without sorting: ended attempts (thread 0) come before live ones
    (threads from 1), and an attempt's predecessors all ended before it began, so every
    predecessor bit points into the ended prefix and no attempt has a live one as a
    predecessor. A begin inserts its attempt among the live ones by thread, with the whole
    prefix as its predecessors, and renumbers nothing; a read or a write changes no key; an
    end moves the attempt from the live part to its place in the prefix (`_ended`), the ended
    attempts after that place up one and their bits renumbered to match; placing an attempt
    removes it (`_without`); `relabel` re-sorts the live part alone."""
    th, ops, status, _ = attempt
    return int(th), status, repr(ops)


def _ended_count(u: tuple) -> int:
    """How many attempts in the ended prefix of a configuration in order."""
    n = 0
    for x in u:
        if x[2] == LIVE:
            break
        n += 1
    return n


def _ended(u: tuple, i: int, status: str, ops: tuple) -> tuple:
    """u with its live attempt u[i] ended with `status` and kept as `ops` (an aborted one as
    `_reads_to_place` reads it), moved into the ended prefix after every ended attempt whose key
    is not greater (`_order_key`); the bits of the ended attempts it passes renumbered (no
    attempt has u[i] as a predecessor: it was live)."""
    preds = u[i][3]
    k = _ended_count(u)
    key = _order_key((0, ops, status, preds))
    q = k
    while q > 0 and _order_key(u[q - 1]) > key:
        q -= 1
    if q == i:                   # (i == k: the first live attempt ended, and stays where it is)
        return u[:i] + ((0, ops, status, preds),) + u[i + 1:]
    low = (1 << q) - 1
    moved = [(th, o, st, p & low | p >> q << (q + 1)) for th, o, st, p in u]
    ended = (0, ops, status, moved[i][3])
    return tuple(moved[:q] + [ended] + moved[q:i] + moved[i + 1:])


def _subsumes(v: tuple, u: tuple) -> bool:
    """v is u with some aborted attempts placed (removed): every continuation that has a
    witness order from u has one from v, the same order without them (an aborted attempt
    changes no state, and removing it only removes predecessors). So u can be forgotten."""
    return _matches(v, u, 0, 0, ())


def _matches(v: tuple, u: tuple, i: int, j: int, removed: tuple) -> bool:
    """`_subsumes` from u[i] and v[j] on, u's attempts `removed` so far. (A function of its own,
    not a closure: a recursive closure is a reference cycle, left to the cyclic collector,
    which the fold turns off: views_after.py.)"""
    if j == len(v):
        if not all(x[2] == ABORT for x in u[i:]):
            return False
        w = u
        for k in sorted(removed + tuple(range(i, len(u))), reverse=True):
            w = _without(w, k)
        return w == v
    if i == len(u) or len(u) - i < len(v) - j:
        return False
    a, b = u[i], v[j]
    if a[0] == b[0] and a[1] == b[1] and a[2] == b[2] and _matches(v, u, i + 1, j + 1, removed):
        return True
    return a[2] == ABORT and _matches(v, u, i + 1, j, removed + (i,))


def _without_twins(u: tuple) -> tuple:
    """u without the aborted attempts D that an aborted attempt A stands for: each B in D reads
    nothing A does not (its operations, as `_reads_to_place` keeps an aborted attempt's, are among
    A's: a twin, or one that read less), every predecessor B has outside D and A is one of A's,
    and every attempt outside D and A that follows B (has it as a predecessor) follows A. The
    configurations with and without D accept the same continuations: a witness order from u
    without D takes D and A as one block where it placed A, in an order that keeps their own
    predecessors (one exists: real-time order has no cycle), A among them. That is the same
    state throughout, since an aborted attempt writes nothing, so each B's reads, among A's,
    fit where A's did (an A whose operations hold a write read back wrongly fits nowhere, and
    then neither configuration accepts anything); what precedes a B from outside precedes
    A, and so the block; what follows a B from outside follows A, and so the block, as does every
    attempt that begins from now on, after all of them ended; nothing from outside must come
    between two of them (it would follow one and precede another, so follow A and precede A).
    And a witness order from u drops D (`_subsumes`' argument). Checked again after each removal,
    which renumbers the bits.

    Why: an attempt that read a value whose writer's commit is not in the history yet (DSTM: a
    writer past its commit step, its commit event still to come) cannot be placed until that
    writer is; two threads that abort each other meanwhile add such an attempt every round, and
    opacity's views grew without end where the places did not (dstm+timestamp counter, three
    threads by symmetry: 113,247 places, more than 5,000,000 states). Why a block, not one twin
    at a time (B right after A, its predecessors among A's and A, its followers A's): the two
    threads' rounds interleave, each round overlapping the other thread's last, so no round's
    predecessors are another's plus that one (eager-aggressive on intset, three threads: views
    of up to eight such rounds, 8,252,840 states on 20,521 places in 10 minutes, not the end)."""
    drop = _stood_for(u)
    while drop:
        for b in sorted(drop, reverse=True):
            u = _without(u, b)
        drop = _stood_for(u)
    return u


def _stood_for(u: tuple) -> list:
    """The attempts D of u that an aborted attempt A stands for (`_without_twins`): for the first
    A (in u's order) with any, the most of the aborted attempts that read nothing A does not
    (A's twins; where A only read, any whose operations are among A's) that can go together:
    one goes when its predecessors and followers outside those going and A are A's; one that
    cannot is outside, which may hold others back. An empty list if there is none."""
    follows = [0] * len(u)         # attempt -> the attempts that have it as a predecessor (a mask)
    for j, x in enumerate(u):
        p = x[3]
        while p:
            low = p & -p
            follows[low.bit_length() - 1] |= 1 << j
            p ^= low
    for a, (_, ops, status, preds) in enumerate(u):
        if status != ABORT:
            continue
        reads = set(ops) if not any(kind == "write" for kind, _, _ in ops) else None
        going = [b for b, x in enumerate(u) if b != a and x[2] == ABORT
                 and (x[1] == ops or reads is not None and reads.issuperset(x[1]))]
        while going:
            block = sum(1 << b for b in going) | 1 << a
            kept = [b for b in going if not u[b][3] & ~block & ~preds and not follows[b] & ~block & ~follows[a]]
            if len(kept) == len(going):
                return going
            going = kept
    return []


def _live(u: tuple, t) -> int:
    for i, x in enumerate(u):
        if x[0] == t and x[2] == LIVE:
            return i
    raise ValueError(f"thread {t} has no live attempt")   # events out of order: a bug upstream


def _without(u: tuple, i: int) -> tuple:
    """u without its i-th attempt; the others' predecessor indices renumbered."""
    low = (1 << i) - 1
    return tuple([(th, ops, status, preds & low | preds >> (i + 1) << i)
                  for th, ops, status, preds in u[:i] + u[i + 1:]])


def _forced(u: tuple):
    """An ended attempt that must precede every other unplaced attempt (each began after it
    ended), so that nothing can come between it and what is placed: it goes next."""
    for i, (_, _, status, preds) in enumerate(u):
        if status != LIVE and not preds and all(x[3] >> i & 1 for k, x in enumerate(u) if k != i):
            return i
    return None


def _dominated(u: tuple) -> bool:
    """Some ended attempt is unplaced that must precede every live attempt (each began after
    it ended) and so every later one: every witness order from here places it before any of
    them, after ended attempts only, and the closure holds the configuration where those
    placements are made already (events of live attempts commute with placements)."""
    before_every_live = -1         # the attempts every live one has as a predecessor (a mask)
    for x in u:
        if x[2] == LIVE:
            before_every_live &= x[3]
    return any(x[2] != LIVE and before_every_live >> i & 1 for i, x in enumerate(u))


def committed_view(run) -> tuple:
    """What serializability still needs of a history prefix: each thread's committed
    transactions (their reads and writes, in order) and the running attempts' operations.
    Aborted attempts say nothing to serializability (an internal inconsistency in one breaks
    opacity only), and without real-time order when a transaction ran does not matter."""
    empty = (((),) * (run.threads + 1), (), 0)
    return CommittedView.after(empty, [event_tuple(e) for e in run.events])


class CommittedView:
    """`committed_view` with what a search that folds views over stored edges needs
    (strategies/views_after.py): `after` reads events as the view of a run that emitted
    them would, `verdicts` says whether serializability holds once every thread is done (the
    checker on the committed transactions, each distinct set once)."""

    def __init__(self, initial: dict):
        self.initial = dict(initial)
        self.judged: dict = {}

    def __call__(self, run) -> tuple:
        return committed_view(run)

    @staticmethod
    def after(view: tuple, events) -> tuple:
        """The view after `view` has read `events` (`event_tuple`s): a thread has one live
        attempt at a time, so its operations are kept under its thread."""
        done, live, commits = view
        if done is None:         # forgotten (`forget`): only the commits are counted
            return done, live, commits + sum(e[0] == COMMIT for e in events)
        done, live = list(done), dict(live)
        for op, t, key, value in events:
            if op == "begin":
                live[t] = ()
            elif op == "read" or op == "write":
                live[t] += ((op, str(key), value),)
            else:
                ops = live.pop(t)
                if op == COMMIT:
                    done[t] += (ops,)
                    commits += 1
        return tuple(done), tuple(sorted(live.items())), commits

    @staticmethod
    def relabel(view: tuple, names: tuple) -> tuple:
        """`view` with thread t renamed `names[t]` (a search by symmetry, symmetry.py)."""
        done, live, commits = view
        if done is None:
            return view
        renamed = [()] * len(done)
        for t, txns in enumerate(done):
            renamed[names[t]] = txns
        return tuple(renamed), tuple(sorted((names[t], ops) for t, ops in live)), commits

    @staticmethod
    def forget(view: tuple, broken: tuple) -> tuple:
        """`view` with serializability forgotten if `broken[0]` (`WitnessKey.forget`): no
        transactions kept (`after` counts the commits alone), and `verdicts` rejects it."""
        return (None, (), view[2]) if broken[0] else view

    def verdicts(self, view: tuple) -> tuple:
        done = view[0]
        if done is None:
            return (False,)
        found = self.judged.get(done)
        if found is None:
            b = HistoryBuilder(initial=self.initial)
            n = 0
            for t, txns in enumerate(done):
                for ops in txns:
                    n += 1
                    b.add({"thread": t, "txn": f"c{n}", "op": "begin"})
                    for op, key, value in ops:
                        b.add({"thread": t, "txn": f"c{n}", "op": op, "key": key, "value": json_value(value)})
                    b.add({"thread": t, "txn": f"c{n}", "op": COMMIT})
            found = self.judged[done] = check(b.finish(), ["serializability"])[0].holds is not False
        return (found,)

    @staticmethod
    def commits(view: tuple) -> int:
        return view[2]


class AllCriteriaView:
    """The views of opacity, strict serializability and serializability together: for a
    caller that judges every history for all three (the matrix)."""

    def __init__(self, initial: dict):
        self.opacity = WitnessKey(initial, committed_only=False)
        self.strict = WitnessKey(initial, committed_only=True)
        self.committed = CommittedView(initial)

    def __call__(self, run) -> tuple:
        return self.opacity(run), self.strict(run), committed_view(run)

    def after(self, view: tuple, events: tuple) -> tuple:
        return (self.opacity.after(view[0], events), self.strict.after(view[1], events),
                self.committed.after(view[2], events))

    def relabel(self, view: tuple, names: tuple) -> tuple:
        return (self.opacity.relabel(view[0], names), self.strict.relabel(view[1], names),
                CommittedView.relabel(view[2], names))

    def verdicts(self, view: tuple) -> tuple:
        return (WitnessKey.verdicts(view[0]) + WitnessKey.verdicts(view[1])
                + self.committed.verdicts(view[2]))

    @staticmethod
    def commits(view: tuple) -> int:
        return view[2][2]

    @staticmethod
    def forget(view: tuple, broken: tuple) -> tuple:
        """Each criterion's view forgotten where `broken` says (`WitnessKey.forget`,
        `CommittedView.forget`): `verdicts`' order, opacity, strict serializability, serializability."""
        return (WitnessKey.forget(view[0], broken[0:1]), WitnessKey.forget(view[1], broken[1:2]),
                CommittedView.forget(view[2], broken[2:3]))

    @staticmethod
    def covers(old: tuple, new: tuple) -> bool:
        """`WitnessKey.covers` for opacity and strict serializability; serializability's view is
        compared exactly."""
        return old[2] == new[2] and WitnessKey.covers(old[0], new[0]) and WitnessKey.covers(old[1], new[1])

    @staticmethod
    def cover_form(view: tuple) -> tuple:
        """`WitnessKey.cover_form`: both criteria's items, each tagged with its criterion, so that
        inclusion of the union is inclusion of each."""
        return ((view[0][1], view[1][1], view[2]),
                [(0, c) for c in view[0][0]] + [(1, c) for c in view[1][0]])
