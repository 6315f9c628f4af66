"""The catalogue's workloads (issue 4): write-skew, dict-update, intset, ww-pathology.

Each one is the smallest program shape that exposes one classic STM failure
that transfer, swap and counter cannot show: write skew needs disjoint write
sets (every transfer writes both accounts, so a lock conflict hides it);
`d1.update(d2)` racing `d2.update(d1)` is the PyPy post's deadlock trap and a
write skew at once; a linked list makes a lost insert structural; opposite
update orders are the classic livelock benchmark. All values are integers, so
native designs can run them too.
"""

from __future__ import annotations

from ..objects import TDict
from .base import Workload


class WriteSkew(Workload):
    """Pairs of keys (x0, y0), (x1, y1), ... each starting at x = y = 1, under
    the constraint x + y >= 0. A transaction reads both keys of one pair and,
    when x + y >= 2, withdraws 2 from its own side. Thread t's j-th transaction
    works on pair ((t-1+j) // 2) mod P and side x when t-1+j is even, else y:
    with 2 threads the two race on one pair with disjoint write sets, the
    textbook write skew. Serially the second withdrawal sees x + y = 0 and does
    nothing. Invariant: x + y >= 0 for every pair. `--keys` counts keys (even,
    default 2: one pair)."""

    name = "write-skew"
    about = "read both keys of a pair, withdraw from one side when x + y allows; invariant: x + y >= 0"
    default_keys, min_keys = 2, 2
    START, AMOUNT = 1, 2

    def build(self):
        if self.nkeys % 2:
            raise ValueError(f"workload {self.name} needs an even --keys (pairs x_i, y_i), not {self.nkeys}")
        pairs = self.nkeys // 2
        for p in range(pairs):
            self.keys[f"x{p}"] = self.keys[f"y{p}"] = self.START
        for t in range(1, self.threads + 1):
            prog = []
            for j in range(self.txns):
                i = t - 1 + j
                p = (i // 2) % pairs
                mine, other = (f"x{p}", f"y{p}") if i % 2 == 0 else (f"y{p}", f"x{p}")
                prog.append((f"withdraw {self.AMOUNT} from {mine} if {mine}+{other} >= {self.AMOUNT}",
                             _withdraw(mine, other, self.AMOUNT)))
            self.programs[t] = prog

    def invariant(self, final, committed):
        bad = [f"x{p}+y{p} = {final[f'x{p}']}+{final[f'y{p}']}" for p in range(self.nkeys // 2)
               if final[f"x{p}"] + final[f"y{p}"] < 0]
        if bad:
            return f"{', '.join(bad)} < 0: both sides withdrew (write skew)"
        return None


def _withdraw(mine, other, amount):
    def body(tx):
        a = yield from tx.read(mine)
        b = yield from tx.read(other)
        if a + b >= amount:
            yield from tx.write(mine, a - amount)
    return body


class DictUpdate(Workload):
    """The PyPy post's `d1.update(d2)` racing `d2.update(d1)`: two dicts over the
    keys k0..k(M-1) (`--keys M`, default 2), stored as in `models/objects.TDict`
    (one transactional key `d.k` per dict key, 0 for absent). d1 holds the even
    keys (value 100+i), d2 the odd ones (200+i) and k0 too (200), so that the
    order of the updates decides k0. Thread t's j-th transaction is
    `d1.update(d2)` when t-1+j is even, else `d2.update(d1)`: each reads the
    whole source, then writes its entries into the destination.

    Invariant: the final dicts are what some serial order of the committed
    updates leaves. Serially, after one update of each kind both dicts are
    equal (to the union, with the first update's source winning on k0); a
    write skew leaves d1.k0 = 200 and d2.k0 = 100, which no order produces."""

    name = "dict-update"
    about = "d1.update(d2) racing d2.update(d1); invariant: the dicts are what a serial order leaves"
    default_keys, min_keys = 2, 1

    def build(self):
        universe = [f"k{i}" for i in range(self.nkeys)]
        d1 = TDict("d1", universe, {k: 100 + i for i, k in enumerate(universe) if i % 2 == 0})
        d2 = TDict("d2", universe, {k: 200 + i for i, k in enumerate(universe) if i % 2 == 1 or i == 0})
        self.keys = {**d1.keys(), **d2.keys()}
        self.universe = universe
        self._finals = {}  # committed -> serial_finals(committed), once per workload
        self.kinds = {}  # thread -> list of "A" (d1.update(d2)) / "B" (d2.update(d1))
        for t in range(1, self.threads + 1):
            prog, kinds = [], []
            for j in range(self.txns):
                a = (t - 1 + j) % 2 == 0
                call = d1.update(d2) if a else d2.update(d1)
                prog.append(("d1.update(d2)" if a else "d2.update(d1)", call.body))
                kinds.append("A" if a else "B")
            self.programs[t], self.kinds[t] = prog, kinds

    def _apply(self, state, kind):
        dst, src = ("d1", "d2") if kind == "A" else ("d2", "d1")
        out = dict(state)
        for k in self.universe:
            if state[f"{src}.{k}"] != 0:
                out[f"{dst}.{k}"] = state[f"{src}.{k}"]
        return out

    def serial_finals(self, committed: int) -> list:
        """Every state some serial order of `committed` of the updates leaves.

        Only whether each kind ran and which kind ran first matter (an update
        is idempotent, and after one of each the dicts are equal, so every
        further update is a no-op): counts above 2 per kind add no state."""
        n = {"A": sum(k.count("A") for k in self.kinds.values())}
        n["B"] = sum(k.count("B") for k in self.kinds.values())
        out = []
        for a in range(max(0, committed - n["B"]), min(n["A"], committed) + 1):
            frontier = [(dict(self.keys), min(a, 2), min(committed - a, 2))]
            while frontier:
                state, ra, rb = frontier.pop()
                if ra == rb == 0:
                    if state not in out:
                        out.append(state)
                    continue
                if ra:
                    frontier.append((self._apply(state, "A"), ra - 1, rb))
                if rb:
                    frontier.append((self._apply(state, "B"), ra, rb - 1))
        return out

    def invariant(self, final, committed):
        state = {k: final[k] for k in self.keys}
        finals = self._finals.get(committed)
        if finals is None:
            finals = self._finals[committed] = self.serial_finals(committed)
        if state in finals:
            return None
        return (f"{_dicts(state, self.universe)} is not what any serial order of the {committed} committed "
                f"updates leaves ({' or '.join(_dicts(s, self.universe) for s in finals)})")


def _dicts(state, universe):
    def one(d):
        return "{" + ", ".join(f"{k}: {state[f'{d}.{k}']}" for k in universe if state[f"{d}.{k}"]) + "}"
    return f"d1 = {one('d1')}, d2 = {one('d2')}"


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


class WWPathology(Workload):
    """The classic livelock benchmark: a list of keys k0..k(M-1) (`--keys M`,
    default 2), each incremented by every transaction, odd threads front to
    back, even threads back to front (read then write each key in turn). Two
    eager transactions grab the first key of their order and then want the
    other's: unless a contention manager breaks the symmetry, they abort each
    other forever. Invariant: every key equals the number of committed
    transactions."""

    name = "ww-pathology"
    about = "increment a list of keys, odd threads front to back, even back to front; invariant: no lost update"
    default_keys, min_keys = 2, 1

    def build(self):
        order = [f"k{i}" for i in range(self.nkeys)]
        self.keys = {k: 0 for k in order}
        for t in range(1, self.threads + 1):
            keys = order if t % 2 == 1 else order[::-1]
            label = f"increment {keys[0]}..{keys[-1]}" if len(keys) > 1 else f"increment {keys[0]}"
            self.programs[t] = [(label, _increment_all(keys)) for _ in range(self.txns)]

    def invariant(self, final, committed):
        bad = [f"{k}={final[k]}" for k in self.keys if final[k] != committed]
        if bad:
            return f"{', '.join(bad)} after {committed} committed transactions (a lost update)"
        return None


def _increment_all(keys):
    def body(tx):
        for k in keys:
            v = yield from tx.read(k)
            yield from tx.write(k, v + 1)
    return body
