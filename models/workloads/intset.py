"""`intset`: a sorted linked list of small integers over transactional nodes.

Why: a linked list makes a lost insert structural (a node unlinked by a
concurrent insert), the classic STM benchmark shape.
"""

from __future__ import annotations

from .base import Workload


class IntSet(Workload):
    """A sorted linked-list set of the integers 1..M (`--keys M`, default 3) over
    transactional nodes: the node of value v is one key `n{v}` holding the value
    of the next node (0 at the end), and `head` points at the first node. It
    starts with the odd values linked. Thread t's j-th operation, with
    i = t-1+j, is insert (an even value), remove (an odd value) and contains,
    in turn, each walking the list from the head: with 2 threads, `insert 2`
    (link 2 after 1) races `remove 1` (unlink 1), the classic lost insert.

    A walk that meets a value not above the previous one (a zombie's view of a
    torn list) stops without writing, so that a doomed transaction never loops.

    Invariant: the list is sorted, holds no duplicate, ends, and holds exactly
    what some serial order of the committed operations leaves (operations on
    different values commute, so value by value: present if the last committed
    insert or remove of it could be an insert)."""

    name = "intset"
    finite_cycle = True
    about = "sorted linked-list set: insert, remove, contains; invariant: sorted, no duplicates, a serial result"
    default_keys, min_keys = 3, 2
    KINDS = ("insert", "remove", "contains")

    def build(self):
        m = self.nkeys
        odds = list(range(1, m + 1, 2))
        evens = list(range(2, m + 1, 2))
        self.initial = set(odds)
        self.keys = {"head": odds[0]}
        for v in range(1, m + 1):
            self.keys[f"n{v}"] = v + 2 if v % 2 == 1 and v + 2 <= m else 0
        self.ops = []  # (kind, value) of every transaction
        for t in range(1, self.threads + 1):
            prog = []
            for j in range(self.txns):
                i = t - 1 + j
                kind = self.KINDS[i % 3]
                r = i // 3
                v = evens[r % len(evens)] if kind == "insert" else (
                    odds[r % len(odds)] if kind == "remove" else r % m + 1)
                self.ops.append((kind, v))
                prog.append((f"{kind} {v}", _SET_OPS[kind](v, m)))
            self.programs[t] = prog

    def members(self, final) -> tuple[list, str | None]:
        """The values linked from `head`, in order, and what is wrong with the list (or None)."""
        seen, v = [], final["head"]
        while v != 0:
            if not 1 <= v <= self.nkeys:
                return seen, f"a next pointer holds {v}, not a node"
            if seen and v <= seen[-1]:
                what = "a cycle" if v in seen else "out of order"
                return seen + [v], f"the list is {what} ({' -> '.join(map(str, seen + [v]))})"
            seen.append(v)
            v = final[f"n{v}"]
        return seen, None

    def invariant(self, final, committed):
        members, problem = self.members(final)
        if problem:
            return problem
        total = len(self.ops)
        possible = {}
        for kind, v in self.ops:
            if kind != "contains":
                possible.setdefault(v, set()).add(kind == "insert")
        shown = "{" + ", ".join(map(str, members)) + "}"
        for v in range(1, self.nkeys + 1):
            allowed = set(possible.get(v, ()))
            if not allowed or committed < total:  # given-up operations: the start state too
                allowed.add(v in self.initial)
            if (v in members) not in allowed:
                return (f"the set is {shown}: {v} is {'in' if v in members else 'missing'}, which no serial "
                        f"order of the {committed} committed operations leaves")
        return None


def _walk(tx, v):
    """(prev, cur): the last node below v (0 = head) and the first node >= v (0 = end);
    None when the view is torn (a value not above the previous one)."""
    prev = 0
    cur = yield from tx.read("head")
    while cur != 0 and cur < v:
        prev = cur
        cur = yield from tx.read(f"n{cur}")
        if cur != 0 and cur <= prev:
            return None
    return prev, cur


def _pointer(node):
    return "head" if node == 0 else f"n{node}"


def _insert(v, m):
    def body(tx):
        found = yield from _walk(tx, v)
        if found is None or found[1] == v:
            return
        prev, cur = found
        yield from tx.write(f"n{v}", cur)
        yield from tx.write(_pointer(prev), v)
    return body


def _remove(v, m):
    def body(tx):
        found = yield from _walk(tx, v)
        if found is None or found[1] != v:
            return
        prev, cur = found
        nxt = yield from tx.read(f"n{v}")
        if nxt != 0 and nxt <= v:
            return  # torn view
        yield from tx.write(_pointer(prev), nxt)
    return body


def _contains(v, m):
    def body(tx):
        found = yield from _walk(tx, v)
        return found is not None and found[1] == v
    return body


_SET_OPS = {"insert": _insert, "remove": _remove, "contains": _contains}
