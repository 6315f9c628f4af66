"""Transactional objects: lists, dicts, queues, counters and banks on any STM design.

Why: the examples of the PyPy "kill the GIL" post are objects (lists whose
`pop` and `append`, dicts whose `update`, must behave atomically), and the
users of an STM care whether the objects they build on it are linearizable,
not only whether its transaction histories are opaque.

How: an object owns a few transactional keys (`keys()`, with their initial
values). Calling a method (`lst.pop()`, `d1.update(d2)`) does not run it: it
returns a `Call` holding the method's name and arguments as the object's
sequential specification (`models/specs.py`) names them, and its *body*, a
transaction body exactly like a workload's (a generator function of a handle
`tx`, using ``yield from tx.read(key)`` and ``yield from tx.write(key, v)``)
that returns the method's result. The runtime runs each body as one
transaction through the design interface and retries it on abort, so every
method call is atomic, and `d1.update(d2)` is one transaction over the keys of
both dicts (which is how a lock-based design deadlocks on it).

Why the representation is as it is:

- Keys are fixed when a design is built (the design interface takes them
  then), so structures are bounded: a list or queue has `capacity` slots, a
  dict a fixed universe of keys. A zombie transaction (one reading an
  inconsistent state) may compute an index outside them; the body then stops
  without writing rather than crash, and the commit, if the design lets it
  happen, shows up as a wrong result.
- Stored values are integers, and 0 marks an empty slot or an absent key:
  native designs hold word-sized integers only, and this way every design in
  the catalogue can host every object. Values put into objects must be
  non-zero integers.
- A method's result is a deterministic function of the values its
  transaction read: `result_of(call, reads)` re-runs the body on recorded
  reads. So the operation history of an execution is derived from its
  transaction history alone (it needs no hook in the runtime, and it is as
  replayable as the transaction history).
- `observe(final)` turns a final state into read-only operations (a get of
  every key, a drain of a queue) that an observer runs after every thread has
  finished, so that a lost update is visible even in a history whose
  operations return nothing.

Models know nothing of the checker; this module only needs the specs.
"""

from __future__ import annotations

EMPTY = 0  # an empty slot, an absent dict entry


class Call:
    """One method call: what it is (spec terms) and the transaction body that does it."""

    __slots__ = ("obj", "op", "args", "body")

    def __init__(self, obj, op: str, args: list, body):
        self.obj, self.op, self.args, self.body = obj, op, list(args), body

    @property
    def label(self) -> str:
        if isinstance(self.obj, TDict):  # the dict's name is the spec's first argument
            args = self.args[1:] if self.op != "update" else [_Name(self.args[1])]
        else:
            args = self.args
        shown = ", ".join(repr(a) for a in args)
        return f"{self.obj.name}.{self.op}({shown})"


class _Name(str):
    """A dict's name shown bare in a label: `d1.update(d2)`."""

    def __repr__(self) -> str:
        return str(self)


def _value(v) -> int:
    if type(v) is not int or v == EMPTY:
        raise ValueError(f"transactional objects store non-zero integers, got {v!r}")
    return v


class TObject:
    """Base class: a named object with its spec and its keys."""

    spec = "?"

    def __init__(self, name: str):
        self.name = name

    def keys(self) -> dict:
        raise NotImplementedError

    def initial(self):
        """The spec's initial value for this object."""
        raise NotImplementedError

    def observe(self, final: dict) -> list:
        """Read-only (op, args, result) calls a sequential observer makes on `final`."""
        raise NotImplementedError


class TList(TObject):
    """A list: keys `name.n` (its length) and `name.0` .. `name.<capacity-1>`."""

    spec = "list"

    def __init__(self, name: str, items=(), capacity: int | None = None):
        super().__init__(name)
        self.items = [_value(v) for v in items]
        self.capacity = max(capacity if capacity is not None else len(self.items), len(self.items))

    def keys(self):
        out = {f"{self.name}.n": len(self.items)}
        for i in range(self.capacity):
            out[f"{self.name}.{i}"] = self.items[i] if i < len(self.items) else EMPTY
        return out

    def initial(self):
        return list(self.items)

    def append(self, v) -> Call:
        v, name, cap = _value(v), self.name, self.capacity

        def body(tx):
            n = yield from tx.read(f"{name}.n")
            if not 0 <= n < cap:
                return None  # full (the workload sizes lists so this is a zombie's view)
            yield from tx.write(f"{name}.{n}", v)
            yield from tx.write(f"{name}.n", n + 1)
            return None
        return Call(self, "append", [v], body)

    def pop(self) -> Call:
        name, cap = self.name, self.capacity

        def body(tx):
            n = yield from tx.read(f"{name}.n")
            if not 0 < n <= cap:
                return None  # empty (Python raises IndexError; the spec says null)
            x = yield from tx.read(f"{name}.{n - 1}")
            yield from tx.write(f"{name}.n", n - 1)
            return x
        return Call(self, "pop", [], body)

    def len(self) -> Call:
        name = self.name

        def body(tx):
            return (yield from tx.read(f"{name}.n"))
        return Call(self, "len", [], body)

    def observe(self, final):
        n = final[f"{self.name}.n"]
        calls = [("len", [], n)]
        calls += [("pop", [], final.get(f"{self.name}.{i}")) for i in reversed(range(n))]
        return calls + [("pop", [], None)]


class TQueue(TObject):
    """A FIFO queue: keys `name.head`, `name.tail` (indices that only grow) and slots."""

    spec = "queue"

    def __init__(self, name: str, items=(), capacity: int | None = None):
        super().__init__(name)
        self.items = [_value(v) for v in items]
        self.capacity = max(capacity if capacity is not None else len(self.items), len(self.items))

    def keys(self):
        out = {f"{self.name}.head": 0, f"{self.name}.tail": len(self.items)}
        for i in range(self.capacity):
            out[f"{self.name}.{i}"] = self.items[i] if i < len(self.items) else EMPTY
        return out

    def initial(self):
        return list(self.items)

    def enqueue(self, v) -> Call:
        v, name, cap = _value(v), self.name, self.capacity

        def body(tx):
            t = yield from tx.read(f"{name}.tail")
            if not 0 <= t < cap:
                return None  # full: a zombie's view (the workload sizes queues)
            yield from tx.write(f"{name}.{t}", v)
            yield from tx.write(f"{name}.tail", t + 1)
            return None
        return Call(self, "enqueue", [v], body)

    def dequeue(self) -> Call:
        name, cap = self.name, self.capacity

        def body(tx):
            h = yield from tx.read(f"{name}.head")
            t = yield from tx.read(f"{name}.tail")
            if not 0 <= h < t <= cap:
                return None  # empty
            x = yield from tx.read(f"{name}.{h}")
            yield from tx.write(f"{name}.head", h + 1)
            return x
        return Call(self, "dequeue", [], body)

    def observe(self, final):
        h, t = final[f"{self.name}.head"], final[f"{self.name}.tail"]
        calls = [("dequeue", [], final.get(f"{self.name}.{i}")) for i in range(h, t)]
        return calls + [("dequeue", [], None)]


class TCounter(TObject):
    """A counter: one key, `name`."""

    spec = "counter"

    def __init__(self, name: str, value: int = 0):
        super().__init__(name)
        self.value = value

    def keys(self):
        return {self.name: self.value}

    def initial(self):
        return self.value

    def add(self, n: int = 1) -> Call:
        name = self.name

        def body(tx):
            v = yield from tx.read(name)
            yield from tx.write(name, v + n)
            return None
        return Call(self, "add", [n], body)

    def get(self) -> Call:
        name = self.name

        def body(tx):
            return (yield from tx.read(name))
        return Call(self, "get", [], body)

    def observe(self, final):
        return [("get", [], final[self.name])]


class TBank(TObject):
    """Accounts: one key per account, named as the account (the `bank` spec's names)."""

    spec = "bank"

    def __init__(self, name: str, balances: dict):
        super().__init__(name)
        self.balances = dict(balances)

    def keys(self):
        return dict(self.balances)

    def initial(self):
        return dict(self.balances)

    def transfer(self, src: str, dst: str, n: int) -> Call:
        def body(tx):
            a = yield from tx.read(src)
            if a < n:
                return False
            yield from tx.write(src, a - n)
            b = yield from tx.read(dst)  # after the write: src == dst reads its own write
            yield from tx.write(dst, b + n)
            return True
        return Call(self, "transfer", [src, dst, n], body)

    def balance(self, account: str) -> Call:
        def body(tx):
            return (yield from tx.read(account))
        return Call(self, "balance", [account], body)

    def total(self) -> Call:
        accounts = sorted(self.balances)

        def body(tx):
            s = 0
            for a in accounts:
                s += yield from tx.read(a)
            return s
        return Call(self, "total", [], body)

    def observe(self, final):
        accounts = sorted(self.balances)
        calls = [("balance", [a], final[a]) for a in accounts]
        return calls + [("total", [], sum(final[a] for a in accounts))]


class TDict(TObject):
    """A dict over a fixed universe of keys: one transactional key `name.k` per key k.

    All dicts of one workload form one `dict`-spec object (operations name
    their dict), since `update` spans two of them.
    """

    spec = "dict"

    def __init__(self, name: str, universe, items: dict | None = None):
        super().__init__(name)
        self.universe = tuple(universe)
        self.items = {k: _value(v) for k, v in (items or {}).items()}
        unknown = set(self.items) - set(self.universe)
        if unknown:
            raise ValueError(f"dict {name}: keys {sorted(unknown)} are outside its universe")

    def keys(self):
        return {f"{self.name}.{k}": self.items.get(k, EMPTY) for k in self.universe}

    def initial(self):
        return {self.name: dict(self.items)}

    def get(self, k) -> Call:
        key = f"{self.name}.{k}"

        def body(tx):
            v = yield from tx.read(key)
            return None if v == EMPTY else v
        return Call(self, "get", [self.name, k], body)

    def put(self, k, v) -> Call:
        key, v = f"{self.name}.{k}", _value(v)

        def body(tx):
            yield from tx.write(key, v)
            return None
        return Call(self, "put", [self.name, k, v], body)

    def update(self, other: "TDict") -> Call:
        """`self.update(other)`: every entry of `other` copied into `self`, atomically."""
        missing = set(other.universe) - set(self.universe)
        if missing:
            raise ValueError(f"{self.name}.update({other.name}): keys {sorted(missing)} are outside "
                             f"{self.name}'s universe")
        dst, src, universe = self.name, other.name, other.universe

        def body(tx):
            found = []
            for k in universe:  # read the whole source first, as dict.update iterates it
                v = yield from tx.read(f"{src}.{k}")
                if v != EMPTY:
                    found.append((k, v))
            for k, v in found:
                yield from tx.write(f"{dst}.{k}", v)
            return None
        return Call(self, "update", [dst, src], body)

    def observe(self, final):
        out = []
        for k in self.universe:
            v = final[f"{self.name}.{k}"]
            out.append(("get", [self.name, k], None if v == EMPTY else v))
        return out


def result_of(call: Call, reads: list):
    """The result `call` returned in an attempt that read `reads` ([(key, value)], in order).

    Re-runs the body against the recorded values (writes are ignored); raises
    ValueError when the body asks for a key other than the one recorded (the
    body is then not deterministic, which objects must be).
    """
    it = iter(reads)

    class _Replay:
        def read(self, key):
            try:
                k, v = next(it)
            except StopIteration:
                raise ValueError(f"{call.label} reads {key} more often than recorded") from None
            if k != key:
                raise ValueError(f"{call.label} reads {key} where {k} was recorded")
            return v
            yield  # pragma: no cover - makes this a generator, as the runtime's read is

        def write(self, key, value):
            return None
            yield  # pragma: no cover

    gen = call.body(_Replay())
    try:
        gen.send(None)
    except StopIteration as stop:
        return stop.value
    raise ValueError(f"{call.label} yielded a step while replayed")  # pragma: no cover
