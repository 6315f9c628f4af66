"""Thread numbers a design can be renamed by: what a search by symmetry rests on.

Why: where threads run the same program, a state and its image with two of them
swapped have the same futures up to that swap, and a search may keep one of
them (checker/explore/symmetry.py). That is only true if renaming the threads
renames everything a design keeps of them: its lock words, its per-thread
cells, what its transactions saw. A design that says so (`symmetric = True`)
gets its thread numbers as `Tid`s in a symmetric search, makes its per-thread
cells with `Machine.cell(..., of_thread=t)`, and the search finds every thread
number in memory and in what threads saw by its type, so `relabel` renames them.

A `Tid` is an int (equal to its number, the same hash, printed the same), so a
design reads, compares and stores it as it would the number; what renaming
cannot follow raises `DesignMisuse` at once instead of giving a wrong answer:
ordering two threads (`<`: a tie-break by thread number is not symmetric) and
arithmetic (`t + 1`, `1 << t`: a number made from a thread's would not be
renamed). Indexing a list by a thread is not caught (Python reads an int
subclass as its value there): a design keeps per-thread data in per-thread cells
or in its `local_state`, which move with their thread. Nor is walking the threads
in number order (`for u in range(1, threads + 1)`: the steps then depend on the
numbering, tl2-quiescent's commit does): such a design does not say it is
symmetric; the tests' orbit count (tests/explore/test_symmetry.py) catches one
that says so wrongly.
"""

from __future__ import annotations

from .machine import DesignMisuse


def _ordered(self, other):
    raise DesignMisuse(f"thread {int(self)} was ordered against {other!r}: a design searched by symmetry "
                       "(`symmetric = True`) may test thread numbers for equality only")


def _arithmetic(self, *other):
    raise DesignMisuse(f"arithmetic on thread {int(self)}: a design searched by symmetry (`symmetric = True`) "
                       "may store and compare thread numbers, not compute with them")


class Tid(int):
    """A thread's number, as a design searched by symmetry sees it (see the module)."""

    __slots__ = ()
    __lt__ = __le__ = __gt__ = __ge__ = _ordered
    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = _arithmetic
    __floordiv__ = __rfloordiv__ = __truediv__ = __rtruediv__ = __mod__ = __rmod__ = _arithmetic
    __lshift__ = __rlshift__ = __rshift__ = __rrshift__ = _arithmetic
    __and__ = __rand__ = __or__ = __ror__ = __xor__ = __rxor__ = __neg__ = __invert__ = _arithmetic
    __pow__ = __rpow__ = _arithmetic

    def __repr__(self) -> str:
        return int.__repr__(self)

    __str__ = __repr__


def relabel(value, names: tuple):
    """`value` with every `Tid` t in it replaced by `names[t]` (tuples, lists, dicts and frozensets
    rebuilt around them; the value itself when it holds none)."""
    t = type(value)
    if t is Tid:
        return names[value]
    if t is tuple:
        out = None
        for i, x in enumerate(value):
            y = relabel(x, names)
            if y is not x:
                if out is None:
                    out = list(value[:i])
                out.append(y)
            elif out is not None:
                out.append(x)
        return value if out is None else tuple(out)
    if t is list:
        return [relabel(x, names) for x in value]
    if t is dict:
        return {relabel(k, names): relabel(x, names) for k, x in value.items()}
    if t is frozenset:
        return frozenset(relabel(x, names) for x in value)
    return value
