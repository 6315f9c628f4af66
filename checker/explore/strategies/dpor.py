"""`dpor`: stateless exhaustive exploration with dynamic partial-order reduction
and sleep sets (Flanagan and Godefroid, POPL 2005; sleep sets after Godefroid
1996). Also `plain`: the same search with the reduction switched off, which
enumerates every interleaving (the baseline DPOR is checked against).

Two executions that differ only in the order of adjacent *independent* steps
(different objects, or both reads) reach the same state and record equivalent
histories, so only one needs running. DPOR finds out which orders matter while
exploring: after each execution, for every state and every thread p with a
pending step, it looks for the latest earlier step by another thread that is
dependent with p's step and not ordered before p by happens-before (a *race*);
at the state before that step, it schedules a thread that can lead to running
p first (a *backtrack point*). Sleep sets stop re-exploring a thread's step
from a state where an equivalent ordering has been covered already.

Search is depth-first over a stack of nodes (one per state of the current
execution); an execution is reached again by replaying its prefix, since
generators cannot be copied. When no node has a thread left to try, the space
is *exhausted*: every execution, up to reordering of independent steps, has run.

Happens-before is tracked with vector clocks indexed by step number. Steps name
their objects (`Step.objects`); the pseudo-object `RT` orders the BEGIN of an
attempt against the END of another (begin/begin and end/end commute), so
real-time precedence between transactions, which opacity reads, is explored.
The race analysis of *executed* steps sees their results: a CAS or try-acquire
that failed only read its object (`effective_write`), so it commutes with other
reads. Pending steps (result unknown) and sleep sets keep the conservative
`Step.write`. Loads of one cell commute; locks are objects like cells, so lock
steps only depend on steps on the same lock.

Why not wakeup trees (optimal DPOR, Abdulla et al. POPL 2014)? Their gain is
the executions source-DPOR wastes, and on the shipped designs there are few
or none: on tl2 every execution is a distinct trace and none is sleep-set
blocked (tests/test_explore_dpor_tl2.py); global-lock 2 x 2 counter wastes 11
of 55. tl2 with 2 transactions per thread is large because it has that many
traces under this dependence; many of them meet again in the same state with
the same history, which `dpor_cache.CachedDPOR` (the default `dpor`) exploits.

`--preemptions B`: backtrack points that would make an execution switch away
from a thread that could go on more than B times are not added (preemption
bounding, Musuvathi and Qadeer, PLDI 2007). The result is then *bounded*, not
exhausted, and says so.
"""

from __future__ import annotations

from stmcheck.models.machine import CAS, RT, TRY_ACQUIRE

from .base import DepthFirst


class _Node:
    __slots__ = ("enabled", "pending", "sleep", "backtrack", "done", "chosen", "child_sleep", "preempt", "key",
                 "summary", "reach")

    def __init__(self, enabled, pending, sleep, preempt):
        self.enabled = enabled
        self.pending = pending
        self.sleep = sleep
        self.backtrack: set = set()
        self.done: set = set()
        self.chosen = None
        self.child_sleep = frozenset()
        self.preempt = preempt  # preemptions in the prefix before this node
        self.key = None         # state key, when the state is remembered (dpor_cache)
        self.summary = None
        self.reach = 0          # the most steps any run took below this state



def dependent(a, b) -> bool:
    """Two steps (of different threads) are dependent: same object, one writes.
    On RT: a BEGIN (read) and an END (write) are dependent, two of a kind are not."""
    oa, wa = a.objs, a.write
    ob, wb = b.objs, b.write
    for o in oa:
        if o in ob:
            if o == RT:
                if wa != wb:
                    return True
            elif wa or wb:
                return True
    return False


def effective_write(step, result) -> bool:
    """Did this *executed* step modify its object? A CAS or try-acquire that
    failed only read it (memory is unchanged, and run in the other order next to
    another non-modifying step it fails the same way), so against other reads it
    commutes. Pending steps, whose result is unknown, keep `step.write`: the
    conservative side, so sleep sets and race checks never under-approximate."""
    if step.write and result is False and (step.op == CAS or step.op == TRY_ACQUIRE):
        return False
    return step.write


class _Done:
    """An executed step seen through its result (same `objs`, refined `write`)."""
    __slots__ = ("objs", "write")

    def __init__(self, step, result):
        self.objs = step.objs
        self.write = effective_write(step, result)


class DPOR(DepthFirst):
    name = "dpor"
    fair = False  # an unfair loop ends the run; the loop's alternatives are backtrack points

    @classmethod
    def from_options(cls, *, preemptions=None, **_):
        return cls(preemptions=preemptions)

    def __init__(self, preemptions: int | None = None, reduce: bool = True):
        super().__init__()
        self.name = "dpor" if reduce else "plain"
        self.reduce = reduce
        self.bound = preemptions
        self.analyzed = -1   # states up to this depth have had their races analysed
        self.replay_to = 0   # nodes [0, replay_to) are replayed from the stack

    def describe(self):
        text = self.name
        if self.bound is not None:
            text += f" (preemptions <= {self.bound})"
        return text

    # -- during an execution -------------------------------------------------------------------
    def pick(self, run, enabled):
        d = len(run.schedule)
        stack = self.stack
        if d < len(stack):
            return self.replay_choice(d, enabled)
        pending = run.pending_log[-1]
        if d == 0:
            sleep, preempt = frozenset(), 0
        else:
            parent = stack[d - 1]
            sleep = parent.child_sleep
            preempt = parent.preempt + self._is_preemption(d - 1, parent.chosen)
        node = _Node(enabled, pending, sleep, preempt)
        stack.append(node)
        if not self.reduce:
            node.backtrack = set(enabled)
            if self.bound is not None:
                node.backtrack = {t for t in enabled if self._allowed(d, t)}
        candidates = [t for t in enabled if t not in sleep]
        if not candidates:
            return None  # sleep-set blocked: every continuation is covered elsewhere
        last = run.schedule[-1] if d else None
        p = last if last in candidates else candidates[0]
        if self.bound is not None and not self._allowed(d, p):
            return None
        self._choose(d, p)
        return p

    def _is_preemption(self, d, t) -> int:
        if d == 0:
            return 0
        prev = self.stack[d - 1].chosen
        return 1 if prev != t and prev in self.stack[d].enabled else 0

    def _allowed(self, d, t) -> bool:
        ok = self.stack[d].preempt + self._is_preemption(d, t) <= self.bound
        if not ok:
            self.bounds.add(f"preemptions <= {self.bound}")
        return ok

    def _choose(self, d, p):
        node = self.stack[d]
        node.chosen = p
        node.backtrack.add(p)
        node.done.add(p)
        if self.reduce:
            mine = node.pending[p]
            node.child_sleep = frozenset(q for q in (node.sleep | node.done) if q != p
                                         and node.pending[q] is not None and not dependent(node.pending[q], mine))

    # -- after an execution --------------------------------------------------------------------
    def finish(self, run):
        if self.reduce:
            self._races(run)
        self._backtrack(run)

    def _backtrack(self, run):
        self.analyzed = len(run.enabled_log) - 1
        # the deepest node with something left to try
        stack = self.stack
        for d in range(len(stack) - 1, -1, -1):
            node = stack[d]
            todo = sorted(node.backtrack - node.done - node.sleep)
            if todo:
                self._popped(d + 1)
                del stack[d + 1:]
                self._choose(d, todo[0])
                self.analyzed = d
                return
        self._popped(0)
        self.stack = []
        self.exhausted = True  # within the preemption bound, if `bounds` names one

    def _popped(self, d):
        """Hook: the nodes from depth d down are finished (fully explored)."""

    def _races(self, run):
        """Add backtrack points for every race seen from the new states of `run`."""
        n_threads = run.threads
        sched = run.schedule
        steps = [_Done(s, r) if s.write and r is False else s for s, r in zip(run.steps, run.results)]
        zero = [-1] * (n_threads + 1)
        tclock = [zero] * (n_threads + 1)      # thread -> clock of its last step
        last_write: dict = {}                   # object -> clock of its last write
        reads: dict = {}                        # object -> join of read clocks since that write
        rt_begin = zero
        rt_end = zero
        access: dict = {}                       # object -> (step indices touching it, those writing it)
        clocks: list = []                       # step -> its vector clock
        nstates = len(run.pending_log)
        for k in range(nstates):
            if k > self.analyzed:
                pending = run.pending_log[k]
                for p in range(1, n_threads + 1):
                    ps = pending[p]
                    if ps is not None:
                        self._race_for(k, p, ps, tclock[p], steps, sched, access, clocks)
            if k >= len(steps):
                break
            # advance clocks over step k
            t, step = sched[k], steps[k]
            c = list(tclock[t])
            objs, w = step.objs, step.write
            for o in objs:
                if o == RT:
                    _join(c, rt_begin if w else rt_end)
                else:
                    lw = last_write.get(o)
                    if lw is not None:
                        _join(c, lw)
                    if w and o in reads:
                        _join(c, reads[o])
            c[t] = k
            for o in objs:
                if o == RT:
                    if w:
                        rt_end = _joined(rt_end, c)
                    else:
                        rt_begin = _joined(rt_begin, c)
                elif w:
                    last_write[o] = c
                    reads.pop(o, None)
                else:
                    reads[o] = _joined(reads[o], c) if o in reads else c
                touched = access.get(o)
                if touched is None:
                    touched = access[o] = ([], [])
                touched[0].append(k)
                if w:
                    touched[1].append(k)
            tclock[t] = c
            clocks.append(c)
        return tclock, steps, access, clocks

    def _race_for(self, k, p, ps, cp, steps, sched, access, clocks):
        """Every step that races with p's pending step: dependent, of another thread,
        not ordered before p, and not ordered before another such step."""
        partners = _partners(p, ps, cp, steps, sched, access)
        kept = []
        for j in sorted(partners, reverse=True):
            if not any(clocks[j2][sched[j]] >= j for j2 in kept):
                kept.append(j)
        for i in kept:
            self._reverse(i, p, k, cp, sched, clocks)

    def _reverse(self, i, p, k, cp, sched, clocks):
        """Make sure some thread that can start the reversed race is tried at node i:
        the *initials* of v, the steps after i that do not depend on step i, then p
        (source sets, Abdulla, Aronis, Jonsson and Sagonas, POPL 2014)."""
        initials, seen, v = _initials(i, k, sched, clocks)
        if p not in seen and not any(cp[sched[j2]] >= j2 for j2 in v):
            initials.append(p)
        node = self.stack[i]
        found = [q for q in initials if q in node.enabled]
        if not found:
            found = list(node.enabled)
            self._add(node, i, [q for q in found if q not in node.sleep])
            return
        if any(q in node.backtrack for q in found):
            return
        awake = [q for q in found if q not in node.sleep]
        if awake:
            self._add(node, i, [p if p in awake else awake[0]])

    def _add(self, node, i, threads):
        for q in threads:
            if self.bound is None or self._allowed(i, q):
                node.backtrack.add(q)
                continue
            # Over the bound here: also try q where the thread running at i got the CPU
            # (Coons, Musuvathi and McKinley, OOPSLA 2013): switching there costs no more
            # preemptions than the switch the current execution made, so it often fits.
            j = i
            while j > 0 and self.stack[j - 1].chosen == self.stack[j].chosen:
                j -= 1
            if j < i and q in self.stack[j].enabled and self._allowed(j, q):
                self.stack[j].backtrack.add(q)


class Plain(DPOR):
    """Every interleaving: DPOR's search with the reduction switched off (the
    baseline DPOR is checked against)."""

    name = "plain"
    about = "every interleaving, no reduction (for comparison)"

    def __init__(self, preemptions: int | None = None):
        super().__init__(preemptions=preemptions, reduce=False)


def _join(c, other):
    for i, v in enumerate(other):
        if v > c[i]:
            c[i] = v


def _joined(a, b):
    return [x if x > y else y for x, y in zip(a, b)]


def _partners(p, ps, cp, steps, sched, access) -> set:
    """Indices of the executed steps that race with thread p's step `ps` (p's clock `cp`):
    dependent, of another thread, and not happening before p.

    When `ps` does not write object o (o not the real-time pseudo-object), only the
    writes to o can race with it through o, or end the scan: the reads of o are skipped
    without being looked at. A read j that depends on `ps` through another object o2 is
    found in o2's scan (were that scan cut off before j by a write w to o2 ordered before
    p, j would be ordered before w, hence before p: no race). Without this, a thread
    reading one cell for thousands of steps made every state's scan walk all of them."""
    partners = set()
    for o in ps.objs:
        touched = access.get(o)
        if touched is None:
            continue
        for j in reversed(touched[0] if ps.write or o == RT else touched[1]):
            q = sched[j]
            sj = steps[j]
            if q == p or not dependent(sj, ps):
                continue
            if cp[q] >= j:          # j happens before p: ordered, no race
                if o != RT and sj.write:
                    break           # everything earlier on o is ordered before j
                continue
            partners.add(j)
    return partners


def _initials(i, k, sched, clocks):
    """The threads that can start v (the steps in (i, k) that do not happen after step i),
    the threads seen in v, and v."""
    ti = sched[i]
    v = [j for j in range(i + 1, k) if clocks[j][ti] < i]
    initials, seen = [], set()
    for idx, j in enumerate(v):
        q = sched[j]
        if q in seen:
            continue
        seen.add(q)
        cj = clocks[j]
        if not any(sched[j2] != q and cj[sched[j2]] >= j2 for j2 in v[:idx]):
            initials.append(q)
    return initials, seen, v
