"""Object workloads: threads making concurrent method calls on transactional objects.

Why: `stmcheck explore DESIGN --object dict` should judge a design the way a
user of its objects would, by the linearizability of the method calls, on
small programs that hit each object's classic races: two pops of one element,
a lost increment, a transfer racing a total, and the PyPy post's
`d1.update(d2)` racing `d2.update(d1)`.

A workload here is a `Workload` like the others (the runtime, strategies and
reports need nothing new): thread t's j-th transaction is its j-th method
call, chosen from the object's cycle of calls at index (t-1+j), so that with
2 threads the first two calls of the cycle race each other. It adds what the
object checks need: `calls` (thread -> the `Call`s, whose bodies and spec
names turn a transaction history into an operation history), `spec` and
`spec_initial` (the sequential specification), and `observe(final)`.

Sizes: lists and queues get one slot per element they start with plus one
per append or enqueue in the whole program, so a consistent state never
overflows them. Values are unique per call (10*thread + call index), so a
duplicated or lost element is visible in the results.
"""

from __future__ import annotations

from ..objects import TBank, TCounter, TDict, TList, TQueue
from . import Workload


def _list(threads, plan):
    appends = sum(1 for _, op in plan if op == "append")
    lst = TList("l", [1], capacity=1 + appends)
    return [lst], {"pop": lambda v: lst.pop(), "append": lambda v: lst.append(v),
                   "len": lambda v: lst.len()}


def _queue(threads, plan):
    enqueues = sum(1 for _, op in plan if op == "enqueue")
    q = TQueue("q", [1], capacity=1 + enqueues)
    return [q], {"dequeue": lambda v: q.dequeue(), "enqueue": lambda v: q.enqueue(v)}


def _counter(threads, plan):
    c = TCounter("c", 0)
    return [c], {"add": lambda v: c.add(1), "get": lambda v: c.get()}


def _bank(threads, plan):
    b = TBank("bank", {"a0": 1, "a1": 1})
    return [b], {"a0->a1": lambda v: b.transfer("a0", "a1", 1), "a1->a0": lambda v: b.transfer("a1", "a0", 1),
                 "total": lambda v: b.total()}


def _dict(threads, plan):
    d1 = TDict("d1", ("a", "b"), {"a": 1})
    d2 = TDict("d2", ("a", "b"), {"b": 2})
    return [d1, d2], {"d1.update(d2)": lambda v: d1.update(d2), "d2.update(d1)": lambda v: d2.update(d1),
                      "d1.get(b)": lambda v: d1.get("b"), "d2.put(a)": lambda v: d2.put("a", v)}


#: object -> (what it is, the cycle of calls, the builder). The first two calls race with 2 threads.
OBJECTS = {
    "list": ("TList [1]: pop, append, pop, len", ("pop", "append", "pop", "len"), _list),
    "dict": ("TDict d1={a:1}, d2={b:2}: d1.update(d2), d2.update(d1), d1.get(b), d2.put(a)",
             ("d1.update(d2)", "d2.update(d1)", "d1.get(b)", "d2.put(a)"), _dict),
    "queue": ("TQueue [1]: dequeue, enqueue, dequeue, enqueue", ("dequeue", "enqueue", "dequeue", "enqueue"),
              _queue),
    "counter": ("TCounter 0: add 1, add 1, get", ("add", "add", "get"), _counter),
    "bank": ("TBank a0=1, a1=1: transfer a0->a1, total, transfer a1->a0", ("a0->a1", "total", "a1->a0"), _bank),
}


class ObjectWorkload(Workload):
    """Concurrent method calls on one object kind (see the module docstring)."""

    def __init__(self, kind: str, threads: int, txns: int = 1, retries: int | None = None):
        if kind not in OBJECTS:
            raise ValueError(f"unknown object {kind!r} (expected one of {', '.join(OBJECTS)})")
        self.kind = kind
        self.name = kind
        self.about, self.cycle, self._builder = OBJECTS[kind]
        self.about = "method calls on " + self.about + "; each call one transaction"
        super().__init__(threads, txns, None, retries)

    default_keys = 0
    min_keys = 0

    def build(self):
        plan = [(t, self.cycle[(t - 1 + j) % len(self.cycle)])
                for t in range(1, self.threads + 1) for j in range(self.txns)]
        self.objects, makers = self._builder(self.threads, plan)
        self.calls: dict = {}
        for t in range(1, self.threads + 1):
            calls = []
            for j in range(self.txns):
                op = self.cycle[(t - 1 + j) % len(self.cycle)]
                calls.append(makers[op](10 * t + j + 1))
            self.calls[t] = calls
            self.programs[t] = [(c.label, c.body) for c in calls]
        for obj in self.objects:
            self.keys.update(obj.keys())

    @property
    def spec(self) -> str:
        return self.objects[0].spec

    def spec_initial(self):
        if self.spec == "dict":
            out: dict = {}
            for obj in self.objects:
                out.update(obj.initial())
            return out
        return self.objects[0].initial()

    def observe(self, final: dict) -> list:
        """The observer's (op, args, result) calls on the final state, in order."""
        return [c for obj in self.objects for c in obj.observe(final)]

    def options(self):
        return {"txns": self.txns}


def make_object_workload(kind: str, threads: int, txns: int = 1, retries: int | None = None) -> ObjectWorkload:
    """Build an object workload by name (raises ValueError with the valid names)."""
    return ObjectWorkload(kind, threads, txns, retries)
