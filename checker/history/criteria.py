"""Deciding serializability, session and strict serializability, and opacity.

The pipeline for one criterion, cheapest first:

1. a read that returns a value no committed write (nor the initial state)
   produced, or an own write not read back, fails every order: G1a, G1b,
   `thin-air`, `internal`; so does what an importer found (`History.findings`,
   e.g. Elle's `incompatible-order`);
2. a few candidate orders (commit order and friends) are replayed; the first
   that passes is the witness (most correct histories stop here, in linear time);
3. in a large history, the forced graph of growing windows around where the
   candidates failed (and the writers those reads involve) is searched for a
   cycle: a window drops transactions but invents no order, so its cycle is
   a proof, found without building the whole graph;
4. the forced dependency graph of the whole history: a cycle is a proof of
   violation; its topological order nearest commit order may be a witness;
5. the write orders it leaves open are searched (acyclic.py: an incremental
   topological order with dynamic backtracking, Cobra's and MonoSAT's
   acyclicity), from the graph's order nearest commit order with each
   thread's transactions kept in the order it ran them where the graph allows
   (a hint, not a rule): an order that satisfies them is a witness, forced
   edges that close a cycle a violation; an order built a legal step at a
   time (greedy.py) is tried next where the search did not answer, and first
   where the graph leaves no write order open (it got stuck within the first
   3% of every database history of the check benchmark, 0.45 s at 10^5, where
   the search answers);
6. past that search's budget, Cobra-style inference grows the graph until
   nothing more is forced (a bitset closure), and what is still open goes to
   z3, bounded by the timeout.

Criteria are decided strongest first (a stronger witness, restricted, settles
the weaker), and a violation is named after the weakest criterion that fails
too: a weaker criterion first looks for its own violation in the window of the
stronger one's cycle. Every "holds" is replayed against the definition before it is returned
(a weaker criterion's witness restricted from a replayed stronger one is
legal by construction, so it is not replayed twice).
"""

from __future__ import annotations

import gc
import time
from bisect import bisect_left
from dataclasses import replace
from operator import attrgetter

from stmcheck.models.history import COMMITTED, History
from stmcheck.models.terms import DEFAULT_CRITERIA, HISTORY_CRITERIA

from .acyclic import CYCLE, SAT, search_order
from .cycles import classify, explain, find_cycle
from .depgraph import DepGraph, TooLarge
from .readsources import INIT, ReadIndex
from .results import Edge, Result, show_value
from .greedy import greedy_witness
from .solver import solve
from .witness import OPACITY, SERIAL, SESSION, STRICT, Scope, _replay, first_candidate, try_candidates, verify_order

CRITERIA = tuple(c.value for c in HISTORY_CRITERIA)   # plain strings: click.Choice lists enum members by name
_STRENGTH = {SERIAL: 0, SESSION: 1, STRICT: 2, OPACITY: 3}

# Above WINDOW_FROM transactions, a history whose cheap orders failed is first
# searched for a cycle in windows (FIRST_WINDOW transactions either side of
# where a cheap order failed, growing 4x up to MAX_WINDOW, with a few rounds
# of inference each) before the graph of the whole history is built.
WINDOW_FROM = 1000
# A violation is named after the weakest criterion that fails too; above this
# many transactions the weaker criteria are decided for naming only if cheap.
NAMING_FULL_LIMIT = 1000
NAMING_BUDGET = 2.0   # seconds an exact search for a weaker criterion may take, to name a violation
#: The share of forced edges against the commit-order candidate from which the first guess of a
#: serial order is the forced graph's midpoint order instead (`_Checker._guess`).
UNTIMED_SHARE = 0.10
FIRST_WINDOW = 64
MAX_WINDOW = 4096
WINDOW_INFER_ROUNDS = 3
# Reachability is kept as one bitset per node: quadratic memory, so above this
# many nodes the exact search is not attempted (the answer is inconclusive).
CLOSURE_LIMIT = 60_000

__all__ = ["CRITERIA", "DEFAULT_CRITERIA", "check", "verify_order"]


_UNKNOWN = object()
_INDEX = attrgetter("index")


class Inconclusive(Exception):
    """The time budget ran out before an answer."""


def check(history: History, criteria=DEFAULT_CRITERIA, timeout: float | None = None) -> list[Result]:
    """Judge `history` against each criterion (in the order given)."""
    for c in criteria:
        if c not in _STRENGTH:
            raise ValueError(f"unknown criterion {c!r} (expected one of {', '.join(CRITERIA)})")
    checker = _Checker(history, timeout)
    weakest_first = sorted(set(criteria), key=lambda c: _STRENGTH[c])
    # The graphs, orders and searches below make millions of small containers and no
    # reference cycles to speak of; CPython's cycle collector would walk them again and
    # again as they grow (a 10^5-transaction blind-write history: 5.3 s with it, 3.3 s
    # without), so it waits until the check is done.
    collecting = gc.isenabled()
    gc.disable()
    try:
        # Cheap witnesses first, strongest first: a stronger witness settles the weaker.
        for c in reversed(weakest_first):
            checker.quick(c)
        # Then the graph: the strongest criterion (if it holds, all do), then from the
        # weakest up (a weaker violation is a violation of every stronger criterion).
        for c in weakest_first[-1:] + weakest_first[:-1]:
            checker.result(c)
    finally:
        if collecting:
            gc.enable()
    return [checker.cache[c] for c in criteria]


class _Checker:
    def __init__(self, history: History, timeout: float | None):
        self.history = history
        self.deadline = None if timeout is None else time.monotonic() + timeout
        self.timeout = timeout
        self._index = None
        self.cache: dict = {}
        self.failed: dict = {}   # criterion -> Txns where its candidate orders failed
        self.unnamed: set = set()  # weaker criteria too costly to decide just for naming
        self.ranks: dict = {}     # criterion -> {txn index: place in its commit-order candidate}
        self.found: dict = {}     # criterion -> its violation as decided, before it is named
        self.internal = _UNKNOWN  # (in a committed txn: breaks every criterion; in any txn: breaks opacity)

    @property
    def index(self) -> ReadIndex:
        if self._index is None:
            self._index = ReadIndex(self.history)
        return self._index

    def result(self, criterion: str) -> Result:
        if criterion not in self.cache:
            r = self._decide(criterion)
            if r.holds is False:
                self.found[criterion] = r     # before naming it: the weaker criteria look at its cycle
            self.cache[criterion] = self._named(criterion, r) if r.holds is False else r
        return self.cache[criterion]

    def _named(self, criterion: str, r: Result) -> Result:
        """Name a violation after the weakest criterion that fails too.

        A history that is not serializable breaks the stronger criteria for the
        same reason, so they report serializability's anomaly and evidence;
        a read of an aborted or intermediate value keeps its name (G1a, G1b);
        `real-time` is kept for failures where serializability holds, and
        `inconsistent-read` for opacity failures where strict serializability holds.
        """
        weaker = {STRICT: (SERIAL,), OPACITY: (SERIAL, STRICT)}.get(criterion, ())
        known = {}
        for w in weaker:
            rw = self._for_naming(w)
            if rw is not None and rw.holds is False:
                return rw.copy_for(criterion)
            known[w] = rw
        if not weaker or r.anomaly in ("G1a", "G1b") or any(v is None or v.holds is None for v in known.values()):
            return r  # a dirty read keeps its own, more precise, name; an unknown keeps the graph's
        anomaly = "inconsistent-read" if criterion == OPACITY else "real-time"
        if anomaly == "real-time" and r.cycle and not any(e.kind == "rt" for e in r.cycle):
            # The cycle's edges were inferred through real time without showing it: say so plainly.
            return replace(r, anomaly=anomaly, cycle=None,
                           explanation="The committed transactions are serializable, but in no order that also "
                                       f"respects real time: with real time, {self._continued(r.explanation)}")
        return replace(r, anomaly=anomaly)

    def _continued(self, sentence: str) -> str:
        """`sentence` inside another: its first letter lower-cased, unless it starts with a
        transaction id (ids keep their case: "T3.1 read ...")."""
        first = sentence.split(" ", 1)[0]
        if not sentence or first in {str(t.id) for t in self.history.txns}:
            return sentence
        return sentence[0].lower() + sentence[1:]

    def _for_naming(self, criterion: str) -> Result | None:
        """The verdict of a weaker criterion, where it costs little to know: for small
        histories within `NAMING_BUDGET` seconds (an exact search for a name must not outlast
        the verdict it names), else only from cheap witnesses or a violation found in small
        windows. An answer cut short is not kept: asked for itself, the criterion is
        decided with the whole budget."""
        if criterion in self.cache:
            return self.cache[criterion]
        if len(self.history.txns) <= NAMING_FULL_LIMIT:
            saved = self.deadline
            limit = time.monotonic() + NAMING_BUDGET
            self.deadline = limit if saved is None else min(saved, limit)
            try:
                found = self.result(criterion)
            finally:
                self.deadline = saved
            if found.holds is None:
                del self.cache[criterion]
                return None
            return found
        if criterion in self.unnamed:
            return None
        found = self.quick(criterion)
        if found is None:
            scope = Scope(criterion)
            found = self._windows(criterion, scope, scope.members(self.history), self.failed.get(criterion, []),
                                  max_size=FIRST_WINDOW * 4)
            if found is not None:
                found = self.cache[criterion] = self._named(criterion, found)
            else:
                self.unnamed.add(criterion)
        return found

    def quick(self, criterion: str) -> Result | None:
        """Decide `criterion` without any graph where that is possible (cached)."""
        if criterion in self.cache:
            return self.cache[criterion]
        history = self.history
        found = None
        # A stronger criterion's witness, restricted, is a witness for a weaker one;
        # a weaker criterion's violation is a violation of a stronger one.
        # No second replay: the stronger witness was replayed before it was
        # cached, and restricting it changes no committed read (writes of the
        # transactions dropped are seen by nobody) and keeps every real-time
        # and program-order pair (a thread runs one transaction at a time, so
        # its order is real-time order). At 10^6 transactions the replay cost
        # as much as reading the file.
        for c, r in self.cache.items():
            if r.holds and _STRENGTH[c] > _STRENGTH[criterion]:
                order = _restrict(history, r.order, criterion)
                found = Result(criterion, True, order=order, decided_by=r.decided_by)
                break
            if r.holds is False and _STRENGTH[c] < _STRENGTH[criterion]:
                found = r.copy_for(criterion)
                break
        if found is None:
            if self.internal is _UNKNOWN:
                self.internal = _internal(history)
            bad = self.internal[1] if criterion == OPACITY else self.internal[0]
            if bad is None and history.findings:
                bad = _finding(history.findings[0])
            if bad is not None:
                found = bad.copy_for(criterion)
        if found is None and criterion not in self.failed:
            # A large history tries commit order alone here; _decide looks for a
            # small-window violation before paying for the other candidates.
            stop = 1 if len(history.txns) > WINDOW_FROM else None
            witness, self.failed[criterion] = try_candidates(history, criterion, stop=stop)
            if witness is not None:
                found = Result(criterion, True, order=[t.id for t in witness], decided_by="witness")
        if found is not None:
            self.cache[criterion] = found
        return found

    def _decide(self, criterion: str) -> Result:
        found = self.quick(criterion)
        if found is not None:
            return found
        scope = Scope(criterion)
        failed = self.failed[criterion]
        members = scope.members(self.history)
        try:
            found = self._stronger_cycle(criterion, scope, members, failed)
            if found is not None:
                return found
            if len(self.history.txns) > WINDOW_FROM:
                found = self._windows(criterion, scope, members, failed, max_size=FIRST_WINDOW * 4)
                if found is not None:
                    return found
                witness, more = try_candidates(self.history, criterion, start=1)
                if witness is not None:
                    return Result(criterion, True, order=[t.id for t in witness], decided_by="witness")
                failed += more
                found = self._windows(criterion, scope, members, failed, whole_next=True)
                if found is not None:
                    return found
            return self._graph(criterion, scope, members, failed, whole=True)
        except Inconclusive as exc:
            budget = f" ({self.timeout:g} s)" if self.timeout is not None else ""
            why = str(exc) or f"the time budget{budget} ran out before an answer"
            return Result(criterion, None, explanation=why, decided_by="z3")

    def _windows(self, criterion: str, scope: Scope, members: list, failed: list,
                 max_size: int = MAX_WINDOW, first_size: int = FIRST_WINDOW, whole_next: bool = False) -> Result | None:
        """Look for a violation in growing windows of transactions around where cheap orders failed.

        The window is the union of ranges (in begin order) around each
        transaction where a candidate order failed, and around the writers
        its reads involve (who wrote the value, who overwrote it last), so
        the two ends of a stale read meet even when they lie far apart.
        Every edge and constraint of a window's graph holds in the whole
        history too (a window only drops transactions, never invents order),
        so a cycle found in a window is a proof for the whole; a window that
        shows nothing proves nothing, and the caller goes on. With
        `whole_next` (the whole history's graph comes next), no window holds
        more than a quarter of the history.
        """
        suspects = list(failed)
        for t in dict.fromkeys(failed):
            suspects += self._involved_writers(t)
        centres = set()
        for t in suspects:  # members are in begin order: a binary search, not a map of them all
            i = bisect_left(members, t.index, key=_INDEX)
            if i < len(members) and members[i] is t:
                centres.add(i)
        centres = sorted(centres)
        size = first_size
        while centres and 2 * size < len(members) and size <= max_size:
            chosen = set()
            for centre in centres:
                chosen.update(range(max(0, centre - size), min(len(members), centre + size)))
            if whole_next and 4 * len(chosen) > len(members):
                # A quarter of the history: its whole graph, next, costs a small multiple and
                # decides either way (database histories of 10^4 transactions, which hold:
                # windows of 4,109-4,162 took 0.08-0.12 s, the whole graph 0.21-0.30 s).
                break
            window = [members[i] for i in sorted(chosen)]
            found = self._graph(criterion, scope, window, failed, whole=False)
            if found is not None:
                return found
            if len(window) == len(members):
                break
            size *= 4
        return None

    def _stronger_cycle(self, criterion: str, scope: Scope, members: list, failed: list) -> Result | None:
        """A violation found in the window of a stronger criterion's cycle: the transactions
        on it this criterion judges, and the writers their reads involve. Naming a violation
        decides the weaker criteria, and where they fail too it is mostly for the same reason
        (the 1,000-transaction history with one stale read: strict serializability's graph
        after opacity's, 17 ms; this window, 3 transactions, under 1 ms). Sound as every
        window is (`_windows`); a window that shows nothing proves nothing."""
        ids = set()
        for c, r in self.found.items():
            if r.cycle and _STRENGTH[c] > _STRENGTH[criterion]:
                for e in r.cycle:
                    ids.update((e.src, e.dst))
        if not ids:
            return None
        on = [t for t in members if t.id in ids]
        chosen = {t.index for t in on}
        for t in on:
            chosen.update(w.index for w in self._involved_writers(t))
        window = [t for t in members if t.index in chosen]
        return self._graph(criterion, scope, window, failed, whole=False) if window else None

    def _involved_writers(self, txn) -> list:
        """For each read of `txn`: the committed writers of its value, and the last
        committed writer of the key to end before `txn` ended."""
        index = self.index
        out = []
        for key, value, _event in txn.external_reads():
            out += [c for c in index.candidates(txn, key, value) if c is not INIT]
            last = None
            for w in index.writers.get(key, ()):
                if w is not txn and w.end < txn.end and (last is None or w.end > last.end):
                    last = w
            if last is not None:
                out.append(last)
        return out

    def _remaining(self):
        if self.deadline is None:
            return None
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise Inconclusive()
        return remaining

    def _graph(self, criterion: str, scope: Scope, txns: list, hints: list, whole: bool) -> Result | None:
        """Decide on the forced graph of `txns` (then z3). With `whole` false, only a violation is an answer."""
        history = self.history
        clock = time.perf_counter()
        try:
            graph = DepGraph(history, scope, txns, self.index, self.deadline).build()
            clock = _step("build", clock)
        except TimeoutError:
            raise Inconclusive() from None
        except TooLarge as exc:
            if not whole:
                return None
            raise Inconclusive(str(exc)) from None
        if graph.missing is not None:
            t, key, value, event = graph.missing
            anomaly, text, _ = self.index.explain_missing(t, key, value, event)
            if criterion == OPACITY and t.status != COMMITTED and anomaly == "thin-air":
                anomaly = "inconsistent-read"
            return Result(criterion, False, anomaly=anomaly, explanation=text, events=[event], decided_by="graph")
        order, cyclic = graph.topo_order()
        if cyclic is None and whole:
            found = self._priority_witness(criterion, scope, graph, greedy=not graph.has_constraints())
            clock = _step("witness", clock)
            if found is not None:
                return found
            found, cyclic = self._search(criterion, scope, graph)
            clock = _step("search", clock)
            if found is not None:
                return found
            if cyclic is None and graph.has_constraints():
                found = self._priority_witness(criterion, scope, graph, greedy=True)
                clock = _step("witness", clock)
                if found is not None:
                    return found
        if cyclic is None:
            if len(graph.kind) > CLOSURE_LIMIT:
                if not whole:
                    return None
                raise Inconclusive(f"the history's dependency graph ({len(graph.kind)} nodes) is too large for "
                                   f"the exact search (limit {CLOSURE_LIMIT}), and no cheap order is a witness")
            try:
                order, cyclic = graph.infer(self.deadline, None if whole else WINDOW_INFER_ROUNDS)
            except TimeoutError:
                _step("inference", clock)
                raise Inconclusive() from None
            except TooLarge as exc:
                _step("inference", clock)
                if not whole:
                    return None
                raise Inconclusive(str(exc)) from None
            clock = _step("inference", clock)
        if cyclic is not None:
            hint_nodes = [graph.node[t.index] for t in hints if t.index in graph.node]
            cycle = find_cycle(graph, cyclic, hint_nodes)
            statuses = {t.id: t.status for t in graph.txns}
            return Result(criterion, False, anomaly=classify(cycle, statuses), cycle=cycle,
                          explanation=explain(cycle, graph), decided_by="graph")
        if not whole:
            return None  # a window's graph proves violations only
        decided_by = "graph"
        if graph.undecided():
            found = self._priority_witness(criterion, scope, graph)
            clock = _step("witness", clock)
            if found is not None:
                return found
            answer = solve(graph, order, self._remaining(), self.deadline)
            clock = _step("z3", clock)
            if answer.status == "unsat":
                return self._unsat(criterion, answer.core, answer.reads)
            if answer.status == "unknown":
                raise Inconclusive(answer.reason or "")
            order = answer.order
            decided_by = "z3"
        txns = graph.txn_order(order)
        problem = _replay(history, txns, scope)
        if problem is not None:
            raise AssertionError(f"stmcheck bug: the {decided_by} witness for {criterion} fails: {problem}")
        return Result(criterion, True, order=[t.id for t in txns], decided_by=decided_by)

    def _rank(self, criterion: str) -> dict:
        """{txn index: place in the criterion's commit-order candidate}: the order to lean on."""
        rank = self.ranks.get(criterion)
        if rank is None:
            rank = self.ranks[criterion] = {t.index: i for i, t in enumerate(first_candidate(self.history, criterion))}
        return rank

    def _guess(self, criterion: str, scope: Scope, graph: DepGraph) -> dict:
        """The rank the first guesses of a serial order lean on: the commit-order candidate's
        (`_rank`), unless the forced graph goes against it on `UNTIMED_SHARE` of its edges or
        more (a log laid out round-robin, Cobra's: begin and commit say nothing of the serial
        order); then the forced graph's own midpoint order (`DepGraph.midpoint_rank`, with each
        thread's transactions in the order it ran them where that is no rule of the criterion).
        Measured on the untimed database mix (acyclicity search conflicts, CPU of the check):
        10^4 502 -> 179 conflicts, 0.53 -> 0.43 s; 10^5 7,071 -> 2,481, 11.6-12.9 -> 7.4-7.9 s
        (alternate runs). Not on a timed history: the timed 10^5 mix took 4,127 conflicts with
        it, 692 without."""
        guess = graph.guess      # once a graph: a guess, not a rule, so the one made before inference serves after
        if guess is None:
            rank = self._rank(criterion)
            guess = graph.guess = rank if len(graph.txns) < 2 or graph.against(rank) < UNTIMED_SHARE else \
                graph.midpoint_rank(rank, None if scope.program_order else graph.thread_edges()) or rank
        return guess

    def _priority_witness(self, criterion: str, scope: Scope, graph: DepGraph, greedy: bool = True) -> Result | None:
        """The forced graph's topological order closest to the first guess (commit order), when
        it is a witness; else, with `greedy`, one built a legal step at a time from it
        (greedy.py), when one is. The order is kept on the graph: a second call (`greedy`
        after the acyclicity search) does not compute it again."""
        if graph.first_order is None:
            order = self._first_order(criterion, scope, graph)
            txns = graph.txn_order(order) if order else None
            if txns is not None and _replay(self.history, txns, scope) is None:
                return Result(criterion, True, order=[t.id for t in txns], decided_by="graph")
        order = graph.first_order
        if not greedy or not order:
            return None
        deadline = self.deadline
        # A serial order built one legal step at a time inside the forced graph
        # (checker/history/greedy.py), led by the topological order just tried.
        at = {graph.txns[v].index: i for i, v in enumerate(order) if v < len(graph.txns)}
        txns = greedy_witness(self.history, graph.txns, at, scope.program_order,
                              lambda: deadline is not None and time.monotonic() > deadline, graph.succ)
        if txns is None or _replay(self.history, txns, scope) is not None:
            return None
        return Result(criterion, True, order=[t.id for t in txns], decided_by="graph")

    def _first_order(self, criterion: str, scope: Scope, graph: DepGraph) -> list:
        """The forced graph's topological order nearest the first guess (`_guess`), kept on the
        graph ([]: none) for the witnesses and searches that start from it. Where program order is
        no rule of the criterion, each thread's transactions are kept in the order it ran them
        where the graph allows: a hint, not a rule. Where begin and commit say nothing (Cobra's
        logs), the first guess then keeps each session in step rather than the round-robin the
        log interleaves them in (untimed database mix 10^4: the search 1.9 -> 0.6 s; 10^5: out
        of time at 200 s -> 15 s, when the search was in Python). A database that ran them
        otherwise has a cycle here: no hint then. One order serves the priority witness and the
        search (a second, without the hint, cost 0.2 s at 10^5 transactions)."""
        if graph.first_order is None:
            guess = self._guess(criterion, scope, graph)
            order = None
            if not scope.program_order:
                order, _ = graph.priority_order(guess, graph.thread_edges())
            if order is None:
                order, _ = graph.priority_order(guess)
            graph.first_order = order or []
        return graph.first_order

    def _search(self, criterion: str, scope: Scope, graph: DepGraph) -> tuple:
        """The write orders left open, decided by the acyclicity search (acyclic.py) before
        any closure: (a witness, None), (None, the cyclic nodes) when the forced edges it
        derived close a cycle, or (None, None) when it ran out of budget, or its order fails
        a read the constraints do not cover (one with several possible writers). A cycle
        is left to inference where the closure is affordable: it names it better."""
        if not graph.has_constraints():
            return None, None
        order = self._first_order(criterion, scope, graph)
        if not order:
            return None, None
        status, found = search_order(graph, order, self.deadline)
        if status == CYCLE:
            if len(graph.kind) <= CLOSURE_LIMIT:
                return None, None
            for a, b, kind, key in found:
                graph.add_edge(a, b, kind, key)
            return None, graph.topo_order()[1]
        if status == SAT:
            order = found
            txns = graph.txn_order(order)
            if _replay(self.history, txns, scope) is None:
                return Result(criterion, True, order=[t.id for t in txns], decided_by="graph"), None
        return None, None

    def _unsat(self, criterion: str, core: list, reads=()) -> Result:
        shown = "; ".join(core[:6]) + (f"; and {len(core) - 6} more" if len(core) > 6 else "")
        # A read in the core clashes with what its transaction read elsewhere (reads with one
        # possible writer are forced edges, not in the core): name those reads too, so the
        # explanation shows every read that no single state explains.
        also = []
        for t, event in reads[:3]:
            others = [f"{key}={show_value(value)} (event {e})" for key, value, e in t.external_reads() if e != event]
            if others:
                also.append(f"{t.id} also read {', '.join(others[:4])}" + (" ..." if len(others) > 4 else ""))
        if also:
            shown += "; " + "; ".join(also)
        text = (f"No order of the transactions makes all of these legal at once: {shown}. "
                f"(Decided exactly by z3: the reads' possible writers and the forced order rule out every order.)")
        return Result(criterion, False, anomaly="unsatisfiable", explanation=text, decided_by="z3")


# Seconds spent per step of `_graph` in this process (the check benchmark reports them):
# building the forced graph, the cheap witnesses on the graph (priority order,
# step-by-step), the acyclicity search, inference (pruning by reachability), and z3.
STEP_SECONDS: dict = {}


def _step(name: str, since: float) -> float:
    now = time.perf_counter()
    STEP_SECONDS[name] = STEP_SECONDS.get(name, 0.0) + now - since
    return now


def _finding(f) -> Result:
    """A violation the importer found (models/history.py `Finding`): it involves reads of
    committed transactions only, so it breaks every criterion as it is."""
    cycle = [Edge(src, dst, kind, key) for src, dst, kind, key in f.cycle] or None
    return Result(None, False, anomaly=f.anomaly, cycle=cycle, explanation=f.explanation,
                  events=list(f.events), decided_by="import")


def _restrict(history: History, order: list, criterion: str) -> list:
    members = {t.id for t in Scope(criterion).members(history)}
    return [i for i in order if i in members]


def _internal(history: History) -> tuple:
    """(the first committed transaction that reads back something else than its own write,
    the first transaction of any status that does), as violations. An internal inconsistency
    in a committed transaction breaks every criterion; in an aborted or live one, opacity only
    (the others say nothing about transactions that did not commit)."""
    committed = any_status = None
    # A reader that noted which transactions read back their own writes
    # (models/jsonl_fast.py) spares a scan of every transaction.
    for t in history.txns if history.rereads is None else history.rereads:
        bad = t.internal_violation()
        if bad is None:
            continue
        key, expected, got, event = bad
        found = Result(None, False, anomaly="internal", events=[event], decided_by="graph",
                       explanation=f"{t.id} wrote {key}={show_value(expected)} and then read it back as "
                                   f"{show_value(got)} (event {event}): a transaction must see its own writes.")
        any_status = any_status or found
        if t.status == COMMITTED:
            committed = found
            break
    return committed, any_status
