"""Stamps: values that only serve as timestamps, so that a model checker may forget how big they are.

Why: a global version clock, a per-key version, a sequence lock, a ticket
counter only grow. A retry loop that bumps one never returns to a state it was
in, so no lasso closes, no remembered state is met again and no search of such
a design ends. Yet the design only *compares* those values (which is newer,
are they equal, is this one exactly the next) and makes new ones by counting up
from the newest. Such a design cannot tell apart two states whose stamps are in
the same order with the same small differences (data independence, Wolper,
POPL 1986; the same argument bounds the bakery algorithm's tickets). A design
that says which values are stamps lets the checker keep exactly that.

A *domain* (`Machine.stamps(name, gap)`) is a family of stamps compared with
one another: one clock and the versions copied from it, or one key's version
counter. Its `gap` is the largest difference the design tests (0: order and
equality only; 1: also `wv == rv + 1`). The canonical form of a state
(`canonical_ranks`) sorts the domain's distinct stamps and keeps each
difference between neighbours up to `gap + 1`: two states with the same form
give every comparison the design may make the same answer.

The rules that make this exact, all checked as the design runs (a breach is a
`StampMisuse`, a usage error, never a silent wrong verdict):

1. Stamps compare only with stamps of their domain (`==` with anything else is
   False; an order with anything else is an error).
2. A design may compute `s + c` or `s - c` (int `c`); such a *derived* stamp
   carries its offset `c`. Two stamps compare only when their offsets differ
   by at most `gap` (so `x + c` against `y` depends only on the differences the
   canonical form keeps: a difference over `gap` stays over `gap`).
3. What reaches shared memory is either a stamp the design received from a
   step (offset 0: such a value is in the state, in memory or in the thread's
   position), or a computed one that is the newest stamp of its domain written
   so far or newer by at most `gap + 1` (so its place among the others is
   exactly known).
   `fetch_add` on a stamp is the latter. The newest stamp written is part of the
   canonical form even when no cell holds it any more.
4. The stamps `Machine.stamps` returns are initial values, to be put into cells
   while the design is built; one kept and compared later is an error (a
   constant the state does not hold would drift against the stamps it does).

A *relative* domain (`Machine.stamps(name, relative=True)`) drops rule 3 and
the limit of rule 2: the design may store an old stamp + 1 anywhere (a racy
version bump that moves a version back), so no neighbour difference may be
forgotten. Its canonical form keeps every difference and forgets only where
the values sit: each one minus the least of the domain's values in the state
(every comparison and every `+ c` gives the same answer after a common
shift). Its states are finite only while the values stay within a bounded
spread, but a loop that moves them all up by the same amount closes, so a
livelock or a starvation is found even where the graph never ends. Where it
does not end, `horizon_ranks` caps those differences too, just past what the
design writes and compares (`Domain.compared`, `raised`, `lowered`): a form
that merges states the design can tell apart, for a search that takes every
step of every state a merged one stands for (explore/horizon.py, which proves
starvation-freedom that way and nothing else).

A *parity* domain (`Machine.parities`) is one thread's attempt bit: each
attempt flips it (`Stamp.flipped`) and writes it where others will compare it,
so that "this entry is from the attempt running now" is one equality (DSTM's
locators and reader entries, models of fresh descriptors). Such a bit is
tested for equality only, with bits of the same thread, so flipping every bit
of one thread in a state (and the newest one written) gives a state with the
same futures, every bit of that thread flipped: the design cannot tell them
apart, the events name no bit, and thread renaming moves a bit with its thread.
The canonical form numbers each bit relative to the newest of its thread
(`2 t + (bit xor newest)`): one form for the 2^threads states that differ
only so (the matrix's search, dstm+passive on counter, 3 threads by symmetry:
149,357 states -> 27,990). Rules,
checked as the design runs: a parity compares (`==`, `!=`) with anything, equal
only to the same bit of the same thread; no order, no arithmetic, no truth
value; a new bit is `flipped()` of another, and writing a flipped bit makes it
the newest of its thread (what the form counts from: a part of the state,
flipped with the rest; every step is then the same on a state and on its
flip, the flip of what it writes). `2 t` names the thread (t as the state
numbers it: a search by symmetry renames it, explore/runtime.py
`_image_ranks`), so a bit stored away from its thread's number keeps which
thread it is of. Exact, as stamps are: given each thread's newest, the
numbers give back every bit, so two states of one form are one set of
threads' flips apart, and have equal futures.

Not stamps: data values (the canonical form would merge histories that read
different values), and counters that grow anywhere but at the newest value
(karma priorities: rule 3 rejects them).
"""

from __future__ import annotations

from .misuse import DesignMisuse


class StampMisuse(DesignMisuse):
    """A design breaks the rules of stamps (see the module docstring)."""


class Domain:
    """One family of comparable stamps; `newest` is the runtime's record of rule 3 (unused when
    the domain is `relative`: only differences count, and any stamp may be counted up)."""

    __slots__ = ("name", "gap", "newest", "relative", "compared", "raised", "lowered", "made", "parity_of", "slot")

    def __init__(self, name: str, gap: int, relative: bool = False, parity_of: int = 0, family: str = ""):
        if not isinstance(gap, int) or gap < 0:
            raise StampMisuse(f"the gap of stamp domain {name!r} must be an int >= 0, not {gap!r}")
        self.name, self.gap, self.newest, self.relative = name, gap, 0, bool(relative)
        #: a parity domain's thread (0: a domain of stamps), and the name its stamps have in a
        #: state's shape: the family's for parities, so that renaming threads leaves shapes alone
        self.parity_of, self.slot = parity_of, family or name
        #: A relative domain's reach, as its stamps were used so far: the largest difference of
        #: offsets compared, the largest offsets up and down of the stamps written to memory, and
        #: how many computed stamps were written (what a horizon graph rests on: explore/horizon.py).
        self.compared = self.raised = self.lowered = self.made = 0

    def __repr__(self) -> str:
        return f"Domain({self.name!r}, gap={self.gap}{', relative' if self.relative else ''})"


class Stamp:
    """A timestamp of one domain. Looks like its number in timelines and reports."""

    __slots__ = ("value", "domain", "offset", "sealed")

    def __init__(self, value: int, domain: Domain, offset: int = 0, sealed: bool = False):
        self.value, self.domain, self.offset, self.sealed = value, domain, offset, sealed

    # -- comparisons (rules 1, 2 and 4) ------------------------------------------------------
    def _other(self, other, op: str):
        if type(other) is not Stamp or other.domain is not self.domain:
            raise StampMisuse(f"stamp {self.value} of {self.domain.name!r} compared ({op}) with {other!r}: "
                              f"stamps compare only with stamps of their own domain")
        if self.sealed or other.sealed:
            raise StampMisuse(f"a stamp of {self.domain.name!r} given by Machine.stamps was kept and compared "
                              f"after the design was built: read stamps from cells instead")
        d = self.domain
        if d.parity_of:
            if op != "==":
                raise StampMisuse(f"a parity bit of {d.name!r} ordered ({op}): parities are tested for equality "
                                  f"only (flipping all of a thread's bits must change no step)")
            return other.value
        diff = self.offset - other.offset
        if diff:
            if d.relative:
                if abs(diff) > d.compared:
                    d.compared = abs(diff)
            elif abs(diff) > d.gap:
                raise StampMisuse(f"stamps of {d.name!r} compared ({op}) with offsets {self.offset} and "
                                  f"{other.offset}: declare Machine.stamps({d.name!r}, gap="
                                  f"{abs(diff)}) if the design tests that difference")
        return other.value

    def __eq__(self, other):
        if type(other) is not Stamp or other.domain is not self.domain:
            return False
        return self.value == self._other(other, "==")

    def __ne__(self, other):
        return not self.__eq__(other)

    def __lt__(self, other):
        return self.value < self._other(other, "<")

    def __le__(self, other):
        return self.value <= self._other(other, "<=")

    def __gt__(self, other):
        return self.value > self._other(other, ">")

    def __ge__(self, other):
        return self.value >= self._other(other, ">=")

    def __hash__(self):
        return hash(self.value)

    def flipped(self) -> "Stamp":
        """A parity's other bit: the thread's next attempt's (written, it becomes the newest)."""
        d = self.domain
        if not d.parity_of:
            raise StampMisuse(f"stamp {self.value} of {d.name!r} flipped: only parities (Machine.parities) flip")
        return Stamp(1 - self.value, d, 1)

    # -- arithmetic (rule 2) -----------------------------------------------------------------
    def __add__(self, n):
        if self.domain.parity_of:
            raise StampMisuse(f"arithmetic on a parity bit of {self.domain.name!r}: flip it (`flipped()`)")
        if type(n) is not int:
            raise StampMisuse(f"stamp {self.value} of {self.domain.name!r} + {n!r}: only an int can be added")
        return Stamp(self.value + n, self.domain, self.offset + n)

    __radd__ = __add__

    def __sub__(self, n):
        if self.domain.parity_of:
            raise StampMisuse(f"arithmetic on a parity bit of {self.domain.name!r}: flip it (`flipped()`)")
        if type(n) is not int:
            raise StampMisuse(f"stamp {self.value} of {self.domain.name!r} - {n!r}: only an int can be "
                              f"subtracted (the distance between two stamps is not kept)")
        return Stamp(self.value - n, self.domain, self.offset - n)

    def __bool__(self):
        raise StampMisuse(f"stamp {self.value} of {self.domain.name!r} used as a truth value")

    def __repr__(self) -> str:
        return repr(self.value)

    __str__ = __repr__


def admit(value, where: str):
    """`value` as it may be written to memory (rule 3): its stamps with offset 0, the newest
    of each domain recorded. Returns `value` itself when no stamp in it had to change (every
    value a design stores passes here: one walk, and no copy of one that holds no stamp)."""
    t = type(value)
    if t is Stamp:
        return _admit_one(value, where)
    if t is tuple:
        for i, x in enumerate(value):
            tx = type(x)
            if tx is Stamp or tx is tuple:
                y = admit(x, where)
                if y is not x:
                    return value[:i] + (y,) + tuple([admit(z, where) for z in value[i + 1:]])
    return value


def _admit_one(s: Stamp, where: str) -> Stamp:
    d = s.domain
    if s.sealed:
        raise StampMisuse(f"a stamp of {d.name!r} given by Machine.stamps was kept and written to {where} after "
                          f"the design was built: read stamps from cells instead")
    if s.offset == 0:
        return s
    if d.parity_of:         # a flipped bit: the thread's newest, what its bits are numbered against
        d.newest = s.value
        return Stamp(s.value, d)
    if d.relative:
        d.made += 1
        if s.offset > d.raised:
            d.raised = s.offset
        elif -s.offset > d.lowered:
            d.lowered = -s.offset
        return Stamp(s.value, d)
    if not (d.newest <= s.value <= d.newest + d.gap + 1):
        raise StampMisuse(f"{where} := stamp {s.value} of {d.name!r}, computed with offset {s.offset}: a computed "
                          f"stamp written to memory must be the newest of its domain written so far ({d.newest}) "
                          f"or newer by at most gap + 1 = {d.gap + 1} (count up from the newest stamp only)")
    d.newest = s.value
    return Stamp(s.value, d)


def has_stamp(value) -> bool:
    t = type(value)
    if t is Stamp:
        return True
    if t is tuple:
        for x in value:
            tx = type(x)
            if tx is Stamp or (tx is tuple and has_stamp(x)):
                return True
    return False


def plain(value) -> bool:
    """Whether `value` is its own renamed form (`rename`): no stamp, list or dict in it, nested
    tuples looked into."""
    t = type(value)
    if t is tuple:
        for x in value:
            tx = type(x)
            if tx is Stamp or tx is list or tx is dict or (tx is tuple and not plain(x)):
                return False
        return True
    return t is not Stamp and t is not list and t is not dict


class Slot:
    """Where a stamp was, in a value whose stamps were taken out (`split`)."""

    __slots__ = ("domain",)

    def __init__(self, domain: str):
        self.domain = domain

    def __repr__(self) -> str:
        return f"<stamp of {self.domain}>"


def split(value, slots: dict, out: list):
    """`value` with each stamp replaced by its domain's `Slot` (one per domain name, from
    `slots`, so that runs of one explorer share them); the stamps, in order, appended to `out`.
    A value without stamps is returned as it is. On the hot path (every step's result, in
    one pass: a separate `has_stamp` test before it cost as much again)."""
    t = type(value)
    if t is Stamp:
        out.append(value)
        return _slot(value, slots)
    if t is not tuple:
        return value
    parts, changed = [], False
    for x in value:
        tx = type(x)
        if tx is Stamp:
            out.append(x)
            parts.append(_slot(x, slots))
            changed = True
        elif tx is tuple:
            y = split(x, slots, out)
            parts.append(y)
            changed = changed or y is not x
        else:
            parts.append(x)
    return tuple(parts) if changed else value


def shape(value, slots: dict, out: list, mutable: list):
    """`value` as `rename` makes it (lists and dicts made tuples), with each stamp replaced by
    its domain's `Slot` instead of its canonical number; the stamps, in order, appended to `out`.
    A state keeps a value's shape and its stamps' numbers apart, so that the shape of a value
    met again need not be computed again (`Run.abstract_state`): equal shapes with equal numbers
    are equal renamed values. A list or dict inside appends to `mutable` (changed in place, such
    a value's shape cannot be kept by its identity)."""
    t = type(value)
    if t is Stamp:
        out.append(value)
        return _slot(value, slots)
    if t is tuple:
        for x in value:
            tx = type(x)
            if tx is Stamp or tx is tuple or tx is list or tx is dict:
                return tuple([shape(x, slots, out, mutable) for x in value])
        return value
    if t is list:
        mutable.append(value)
        return tuple([shape(x, slots, out, mutable) for x in value])
    if t is dict:
        mutable.append(value)
        return tuple([(k, shape(x, slots, out, mutable)) for k, x in value.items()])
    return value


def _slot(s: Stamp, slots: dict) -> Slot:
    name = s.domain.slot
    slot = slots.get(name)
    if slot is None:
        slot = slots[name] = Slot(name)
    return slot


def collect(value, out: list) -> None:
    """Append the stamps inside `value` (nested tuples, lists, dicts' values) to `out`."""
    t = type(value)
    if t is Stamp:
        out.append(value)
    elif t is tuple or t is list:
        for x in value:
            collect(x, out)
    elif t is dict:
        for x in value.values():
            collect(x, out)


def canonical_ranks(stamps, newest: dict) -> dict:
    """domain -> {value -> canonical int}: per domain, the distinct values (and the newest one
    written, `newest`, which names no relative domain) in order, each difference between
    neighbours capped at `gap + 1`; for a relative domain, each value minus the least."""
    ranks = {}
    for d, values in _values_by_domain(stamps, newest).items():
        # One value is 0 in every form. A domain per key (DSTM's locators) mostly holds one: a
        # six-domain state of dstm+polka swap took 3.7 us here without this, 2.5 us with it.
        if d.parity_of:      # relative to the newest bit, the thread named (see the module)
            n = newest[d]
            ranks[d] = {n: 2 * d.parity_of, 1 - n: 2 * d.parity_of + 1}
        elif len(values) == 1:
            for v in values:
                ranks[d] = {v: 0}
        elif d.relative:
            least = min(values)
            ranks[d] = {v: v - least for v in values}
        elif d.gap == 0:   # distinct values differ by at least 1 = gap + 1: the rank is the place
            ranks[d] = {v: c for c, v in enumerate(sorted(values))}
        else:
            ranks[d] = capped(values, d.gap + 1)
    return ranks


def capped(values, cap: int) -> dict:
    """value -> its rank: the values in order, the first 0, each difference between neighbours
    capped at `cap`."""
    prev, c, own = None, 0, {}
    for v in sorted(values):
        c = 0 if prev is None else c + min(v - prev, cap)
        own[v] = c
        prev = v
    return own


def horizon_ranks(stamps, newest: dict, horizon: int) -> dict:
    """`canonical_ranks` with each relative domain's neighbour differences capped at `horizon`
    too: the abstraction of a horizon graph (explore/horizon.py), which merges states that a
    design may yet tell apart, so that only a search that expands every state the merged ones
    stand for may use it."""
    ranks = canonical_ranks(stamps, newest)
    for d, own in ranks.items():
        if d.relative and len(own) > 1:
            ranks[d] = capped(own, horizon)
    return ranks


def exact_ranks(stamps, newest: dict) -> dict:
    """The identity: every stamp keeps its value (no abstraction; for differential tests); a parity
    bit is numbered `2 t + bit` (its thread named, as `canonical_ranks` does, not forgotten)."""
    return {d: {v: 2 * d.parity_of + v if d.parity_of else v for v in values}
            for d, values in _values_by_domain(stamps, newest).items()}


def _values_by_domain(stamps, newest: dict) -> dict:
    """domain -> the set of its values among `stamps` and `newest`. One domain is the common
    case (a clock and the versions copied from it), taken in one pass."""
    domains = {s.domain for s in stamps}
    if len(domains) == 1:
        d = domains.pop()
        by_domain = {d: {s.value for s in stamps}}
    else:
        by_domain = {}
        for s in stamps:
            values = by_domain.get(s.domain)
            if values is None:
                values = by_domain[s.domain] = set()
            values.add(s.value)
    for d, n in newest.items():
        values = by_domain.get(d)
        if values is None:
            by_domain[d] = {n}
        else:
            values.add(n)
    return by_domain


def remap(value, table: dict):
    """`value` with each stamp of a domain in `table` (domain -> {value -> new value}) given its
    new value (its offset kept), tuples, lists and dicts rebuilt around them; the value itself
    when it holds none."""
    t = type(value)
    if t is Stamp:
        own = table.get(value.domain)
        return value if own is None else Stamp(own[value.value], value.domain, value.offset)
    if t is tuple or t is list:
        out = [remap(x, table) for x in value]
        if t is list:
            return out
        return value if all(a is b for a, b in zip(out, value)) else tuple(out)
    if t is dict:
        return {k: remap(x, table) for k, x in value.items()}
    return value


def rename(value, ranks: dict):
    """`value` with every stamp replaced by `("stamp", domain name, canonical int)`, lists
    and dicts made tuples (a tuple with neither inside is returned as it is)."""
    t = type(value)
    if t is Stamp:
        return ("stamp", value.domain.slot, ranks[value.domain][value.value])
    if t is tuple:
        for x in value:
            tx = type(x)
            if tx is Stamp or tx is tuple or tx is list or tx is dict:
                return tuple([rename(x, ranks) for x in value])
        return value
    if t is list:
        return tuple([rename(x, ranks) for x in value])
    if t is dict:
        return tuple([(k, rename(x, ranks)) for k, x in value.items()])
    return value
