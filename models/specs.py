"""Sequential specifications: what each object would do if operations ran one at a time.

Linearizability asks whether the concurrent history of an object can be
explained by *some* sequential run of its specification that respects real
time. The checker only needs three things from a specification, so a user can
write one in a few lines:

    from stmcheck.models.specs import Spec, register_spec

    class MaxRegister(Spec):
        name = "max-register"
        ops = {"write": 1, "read": 0}          # op name -> number of args

        def init(self, initial):               # initial state (hashable!)
            return 0 if initial is None else initial

        def step(self, state, op, args):       # -> (result, new state)
            if op == "write":
                return None, max(state, args[0])
            return state, state                # read

    register_spec(MaxRegister())   # or: --model mymodule:MaxRegister

- `init(initial)` turns the history's optional `initial` into the first state.
- `step(state, op, args)` is deterministic and returns the result the
  operation would give and the state after it. The checker compares that result
  with the recorded one (`matches`, JSON equality by default); an operation
  that never returned takes the step whatever its result.
- States must be hashable and compare equal exactly when the futures they allow
  are the same: the search memoizes (linearized set, state) pairs, so two
  states that compare equal are explored once. Use tuples, frozensets, strings.
- `partition(op, args)` (optional) names the independent sub-object an
  operation touches (a key of a map, an element of a set). When every
  operation names one, the history is split and each part is checked alone
  (P-compositionality: a history is linearizable iff each part is), which
  turns one exponential search into many small ones. `restrict(state, part)`
  cuts the initial state down to that part.
- `validate(op, args, result, pending)` (optional) rejects malformed
  operations with a ValueError sentence (the base class checks the name and
  the number of arguments against `ops`); `state_json(state)` (optional)
  renders a state for reports.

Values reach `step` in frozen form (see `freeze`): JSON arrays are tuples,
objects FrozenMaps (frozensets of items), booleans the TRUE/FALSE singletons that never equal
numbers. A spec may return Python `True`/`False`; results are frozen before
they are compared.

This module knows nothing of the checker (models never import checker).
"""

from __future__ import annotations

import json
import numbers

from .history import FALSE, TRUE, JsonBool


# --- frozen JSON values -------------------------------------------------------

class _Unknown:
    """A result that was lost: the operation returned, but nobody saw what (a timed-out read).

    Any result the specification predicts matches it. Imports produce it; the
    JSON format has no way to write it (use a pending operation instead).
    """

    _instance = None

    def __new__(cls):
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "unknown"

    def __reduce__(self):
        return (_Unknown, ())


UNKNOWN = _Unknown()


class FrozenMap(frozenset):
    """A frozen JSON object: the set of its (key, value) items."""

    __slots__ = ()


def freeze(value):
    """The hashable, type-exact form of a JSON value (see module docstring)."""
    t = type(value)
    if t is str or t is int or t is float or value is None or t is JsonBool or value is UNKNOWN:
        return value
    if t is bool:
        return TRUE if value else FALSE
    if t is list or t is tuple:
        return tuple(freeze(v) for v in value)
    if t is dict:
        return FrozenMap((str(k), freeze(v)) for k, v in value.items())
    if isinstance(value, (frozenset, numbers.Number)):
        return value
    raise ValueError(f"not a JSON value: {value!r}")


def thaw(value):
    """The JSON form of a frozen value (the inverse of `freeze`)."""
    if type(value) is JsonBool:
        return value.value
    if type(value) is tuple:
        return [thaw(v) for v in value]
    if type(value) is FrozenMap:
        return {k: thaw(v) for k, v in sorted(value, key=lambda kv: kv[0])}
    if isinstance(value, frozenset):  # an EDN set: a list in JSON
        return sorted((thaw(v) for v in value), key=lambda v: json.dumps(v, sort_keys=True, default=repr))
    return value


def show(value) -> str:
    """A short JSON rendering of a frozen value, for reports."""
    try:
        return json.dumps(thaw(value), ensure_ascii=False, separators=(", ", ": "))
    except (TypeError, ValueError):
        return repr(value)


def is_number(value) -> bool:
    return type(value) in (int, float)


# --- the base class -----------------------------------------------------------

class Spec:
    """Base class of a sequential specification; see the module docstring."""

    name = "spec"
    ops: dict[str, int] = {}
    doc = ""

    def init(self, initial):
        return freeze(initial)

    def step(self, state, op, args):  # pragma: no cover - abstract
        raise NotImplementedError

    def matches(self, expected, observed) -> bool:
        """Does the result the spec predicts match the recorded one?"""
        return freeze(expected) == observed

    def partition(self, op, args):
        """The independent part an operation touches, or None (no partitioning)."""
        return None

    def restrict(self, state, part):
        """The initial state cut down to one part (see `partition`)."""
        return state

    def validate(self, op, args, result, pending: bool) -> None:
        """Raise ValueError (a plain sentence) when an operation is malformed."""
        if op not in self.ops:
            known = ", ".join(sorted(self.ops))
            raise ValueError(f"model {self.name} has no operation {op!r} (it has: {known})")
        want = self.ops[op]
        if len(args) != want:
            raise ValueError(f"{op} takes {want} argument{'s' if want != 1 else ''}, got {len(args)}")

    def validate_initial(self, initial) -> None:
        """Raise ValueError when the history's `initial` does not fit the model."""

    def state_json(self, state):
        """The state as plain JSON, for reports (override when the state is encoded)."""
        return thaw(state)

    def describe(self, op, args, result=None, pending=False) -> str:
        call = f"{op}({', '.join(show(a) for a in args)})"
        if pending:
            return f"{call} (pending)"
        return f"{call} -> ?" if result is UNKNOWN else f"{call} -> {show(result)}"


# --- the shipped specifications -----------------------------------------------

class Register(Spec):
    name = "register"
    ops = {"read": 0, "write": 1}
    doc = "a read/write register; initial value `initial` or null"

    def step(self, state, op, args):
        if op == "read":
            return state, state
        return None, args[0]


class CasRegister(Register):
    name = "cas-register"
    ops = {"read": 0, "write": 1, "cas": 2}
    doc = "a register with compare-and-set: cas [expected, new] -> true if it swapped"

    def step(self, state, op, args):
        if op == "cas":
            if state == args[0]:
                return TRUE, args[1]
            return FALSE, state
        return Register.step(self, state, op, args)


class Counter(Spec):
    name = "counter"
    ops = {"add": 1, "get": 0}
    doc = "a counter; add [n], get -> value; initial `initial` or 0"

    def init(self, initial):
        return 0 if initial is None else initial

    def validate_initial(self, initial):
        if initial is not None and not is_number(initial):
            raise ValueError("the initial value of a counter must be a number")

    def validate(self, op, args, result, pending):
        super().validate(op, args, result, pending)
        if op == "add" and not is_number(args[0]):
            raise ValueError(f"add takes a number, got {show(args[0])}")

    def step(self, state, op, args):
        if op == "add":
            return None, state + args[0]
        return state, state


class Queue(Spec):
    name = "queue"
    ops = {"enqueue": 1, "dequeue": 0}
    doc = "a FIFO queue; dequeue -> the oldest value, or null when empty"

    def init(self, initial):
        return tuple(freeze(initial or ()))

    def validate_initial(self, initial):
        if initial is not None and not isinstance(initial, (list, tuple)):
            raise ValueError(f"the initial value of a {self.name} must be a list")

    def step(self, state, op, args):
        if op == "enqueue":
            return None, state + (args[0],)
        if not state:
            return None, state
        return state[0], state[1:]


class Stack(Queue):
    name = "stack"
    ops = {"push": 1, "pop": 0}
    doc = "a LIFO stack; pop -> the newest value, or null when empty"

    def step(self, state, op, args):
        if op == "push":
            return None, state + (args[0],)
        if not state:
            return None, state
        return state[-1], state[:-1]


class SetSpec(Spec):
    name = "set"
    ops = {"add": 1, "remove": 1, "contains": 1}
    doc = "a set; add/remove -> whether it changed the set; contains -> boolean"

    def init(self, initial):
        return frozenset(freeze(initial or ()))

    def state_json(self, state):
        return sorted((thaw(v) for v in state), key=lambda v: json.dumps(v, sort_keys=True))

    def validate_initial(self, initial):
        if initial is not None and not isinstance(initial, (list, tuple)):
            raise ValueError("the initial value of a set must be a list")

    def step(self, state, op, args):
        v = args[0]
        if op == "add":
            return (FALSE, state) if v in state else (TRUE, state | {v})
        if op == "remove":
            return (TRUE, state - {v}) if v in state else (FALSE, state)
        return (TRUE if v in state else FALSE), state

    def partition(self, op, args):
        return args[0]

    def restrict(self, state, part):
        return frozenset(v for v in state if v == part)


def _key(k) -> str:
    """Map keys are strings (JSON object keys); 1 and "1" name the same key."""
    return k if type(k) is str else show(k)


def _map_get(state, key, default):
    for k, v in state:
        if k == key:
            return v
    return default


def _map_set(state, key, value, drop=None):
    """A new sorted pair-tuple with key set to value (or removed when value == drop)."""
    items = [kv for kv in state if kv[0] != key]
    if not (value == drop and type(value) is not JsonBool):
        items.append((key, value))
    items.sort(key=lambda kv: kv[0])
    return tuple(items)


class KV(Spec):
    """State: a sorted tuple of (key, value) pairs; a missing key holds ""."""

    name = "kv"
    ops = {"get": 1, "put": 2, "append": 2}
    doc = 'a string key-value map; get [k], put [k, v], append [k, s]; a missing key holds ""'

    def init(self, initial):
        return tuple(sorted(((_key(k), v) for k, v in (initial or {}).items() if v != ""),
                            key=lambda kv: kv[0]))

    def validate_initial(self, initial):
        if initial is None:
            return
        if not isinstance(initial, dict) or not all(type(v) is str for v in initial.values()):
            raise ValueError("the initial value of a kv model must be a map of strings")

    def validate(self, op, args, result, pending):
        super().validate(op, args, result, pending)
        if op in ("put", "append") and type(args[1]) is not str:
            raise ValueError(f"{op} takes a string value, got {show(args[1])}")

    def step(self, state, op, args):
        key = _key(args[0])
        if op == "get":
            return _map_get(state, key, ""), state
        old = _map_get(state, key, "")
        new = args[1] if op == "put" else old + args[1]
        return None, _map_set(state, key, new, drop="")

    def partition(self, op, args):
        return _key(args[0])

    def restrict(self, state, part):
        return tuple(kv for kv in state if kv[0] == part)

    def state_json(self, state):
        return {k: v for k, v in state}


class Bank(Spec):
    """State: a sorted tuple of (account, balance) pairs, one for every account the
    initial map names or a transfer has touched, zero balances included: a report
    that shows the state ("where the state is ...") then shows every account, and
    an emptied account reads as 0, not as missing. An account never named holds 0.
    (Two states that differ only in an account at 0 are searched apart: a little less
    memoization, the same verdicts.)"""

    name = "bank"
    ops = {"transfer": 3, "balance": 1, "total": 0}
    doc = "accounts; transfer [from, to, n] -> false (no effect) when from holds < n; balance [a]; total"

    def init(self, initial):
        return tuple(sorted(((_key(k), v) for k, v in (initial or {}).items()), key=lambda kv: kv[0]))

    def validate_initial(self, initial):
        if initial is None:
            return
        if not isinstance(initial, dict) or not all(is_number(v) for v in initial.values()):
            raise ValueError("the initial value of a bank model must be a map of numbers")

    def validate(self, op, args, result, pending):
        super().validate(op, args, result, pending)
        if op == "transfer" and not is_number(args[2]):
            raise ValueError(f"transfer takes a number as its amount, got {show(args[2])}")

    def step(self, state, op, args):
        if op == "total":
            return sum(v for _, v in state), state
        if op == "balance":
            return _map_get(state, _key(args[0]), 0), state
        src, dst, n = _key(args[0]), _key(args[1]), args[2]
        have = _map_get(state, src, 0)
        if have < n:
            return FALSE, state
        state = _map_set(state, src, have - n)
        state = _map_set(state, dst, _map_get(state, dst, 0) + n)
        return TRUE, state

    def state_json(self, state):
        return {k: v for k, v in state}


class ListSpec(Stack):
    """A Python list as the transactional `TList` uses it (models/objects.py)."""

    name = "list"
    ops = {"append": 1, "pop": 0, "len": 0}
    doc = "a list; append [v]; pop -> the last value, or null when empty; len -> its length"

    def step(self, state, op, args):
        if op == "len":
            return len(state), state
        return Stack.step(self, state, "push" if op == "append" else "pop", args)


class DictSpec(Spec):
    """Named dicts, one object: `update` reads one dict and writes another, so
    the two must be specified (and linearized) together. State: a sorted tuple
    of ((dict, key), value) pairs; null is absence (a put of null removes)."""

    name = "dict"
    ops = {"get": 2, "put": 3, "update": 2}
    doc = "named dicts; get [d, k] -> value or null; put [d, k, v]; update [d, src] (d.update(src))"

    def init(self, initial):
        return tuple(sorted((((_key(d), _key(k)), freeze(v)) for d, m in (initial or {}).items()
                             for k, v in m.items() if v is not None), key=lambda kv: kv[0]))

    def validate_initial(self, initial):
        if initial is not None and not (isinstance(initial, dict)
                                        and all(isinstance(m, dict) for m in initial.values())):
            raise ValueError("the initial value of a dict model maps each dict's name to a map")

    def step(self, state, op, args):
        d = _key(args[0])
        if op == "get":
            return _map_get(state, (d, _key(args[1])), None), state
        if op == "put":
            return None, _map_set(state, (d, _key(args[1])), args[2])
        src = _key(args[1])
        for (s, k), v in [kv for kv in state if kv[0][0] == src]:
            state = _map_set(state, (d, k), v)
        return None, state

    def state_json(self, state):
        out: dict = {}
        for (d, k), v in state:
            out.setdefault(d, {})[k] = thaw(v)
        return out


# --- the registry -------------------------------------------------------------

SPECS: dict[str, Spec] = {}


def register_spec(spec: Spec) -> Spec:
    """Make a specification available by name (`--model NAME`, `"model"`)."""
    SPECS[spec.name] = spec
    return spec


for _spec in (Register(), CasRegister(), Counter(), Queue(), Stack(), SetSpec(), KV(), Bank(), ListSpec(),
              DictSpec()):
    register_spec(_spec)


def get_spec(name: str) -> Spec:
    """The specification called `name`; KeyError names the known ones.

    `name` may also be `path/to/file.py:Class` or `module:Class`, a Spec
    subclass or instance, loaded as designs are (`models/userload.py`: the
    file's folder importable), so a user-written spec works from the command
    line: `stmcheck check h.json -c linearizability --model myspecs.py:MaxRegister`.
    """
    if name in SPECS:
        return SPECS[name]
    if ":" in name:
        from .userload import LoadError, load_object
        try:
            obj = load_object(name, "model")
            spec = obj() if isinstance(obj, type) else obj
        except LoadError as exc:
            raise KeyError(f"cannot load model {name!r}: {exc}") from None
        except Exception as exc:  # any failure of user code is bad input, reported in one line
            raise KeyError(f"cannot load model {name!r}: {type(exc).__name__}: {exc}") from None
        if not isinstance(spec, Spec):
            raise KeyError(f"model {name!r} is not a stmcheck.models.specs.Spec")
        return spec
    raise KeyError(f"unknown model {name!r} (known: {', '.join(sorted(SPECS))}, or module:Class)")
