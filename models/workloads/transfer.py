"""`transfer`: move one unit between two accounts (the default workload)."""

from __future__ import annotations

from .base import Workload


class Transfer(Workload):
    """Thread t's j-th transaction moves one unit from account a[(t-1+j) % M] to
    the next account. With the default M = 2, odd and even threads move money in
    opposite directions, the classic way to make two lock-based transactions
    take the same locks in opposite orders. Invariant: the sum of balances.
    Repeated (cyclic runs), each transfer is followed by its way back, so that
    balances stay within a unit of the start per thread, and they wrap round
    within those bounds (`_wrap`): a design that loses updates lets balances
    drift, and the state space must stay finite for it too (what a design
    that loses no update commits never wraps)."""

    name = "transfer"
    finite_cycle = True
    about = "move one unit between two accounts; invariant: the sum of balances"
    default_keys, min_keys = 2, 2
    BALANCE = 10

    def build(self):
        self.keys = {f"a{i}": self.BALANCE for i in range(self.nkeys)}
        for t in range(1, self.threads + 1):
            self.programs[t] = [(f"transfer {src}->{dst}", _transfer(src, dst)) for src, dst in self._moves(t)]

    def cycle(self, thread):
        wrap = _wrap(self.BALANCE - self.threads, 2 * self.threads + 1)
        out = []
        for src, dst in self._moves(thread):
            out += [(f"transfer {src}->{dst}", _transfer(src, dst, wrap)),
                    (f"transfer {dst}->{src}", _transfer(dst, src, wrap))]
        return out

    def thread_class(self, thread):
        return (thread - 1) % self.nkeys      # `_moves` reads nothing else of the thread

    def _moves(self, thread):
        """(source, destination) of each transaction of `thread`."""
        m = self.nkeys
        return [(f"a{(thread - 1 + j) % m}", f"a{(thread + j) % m}") for j in range(self.txns)]

    def invariant(self, final, committed):
        total = sum(final.values())
        want = self.BALANCE * self.nkeys
        if total != want:
            shown = ", ".join(f"{k}={v}" for k, v in final.items())
            return f"the sum of balances is {total}, not {want} ({shown})"
        return None


def _transfer(src, dst, wrap=None):
    def body(tx):
        a = yield from tx.read(src)
        b = yield from tx.read(dst)
        yield from tx.write(src, a - 1 if wrap is None else wrap(a - 1))
        yield from tx.write(dst, b + 1 if wrap is None else wrap(b + 1))
    return body


def _wrap(low: int, size: int):
    """Balances of a cyclic run, kept in [low, low + size) by wrapping round: with N threads
    each committed balance of a design that loses no update stays within N units of the
    start, which the range holds, so only a lost update's drift (or a doomed attempt's
    inconsistent read) ever wraps."""
    return lambda v: low + (v - low) % size
