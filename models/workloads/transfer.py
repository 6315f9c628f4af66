"""`transfer`: move one unit between two accounts (the default workload)."""

from __future__ import annotations

from .base import Workload


class Transfer(Workload):
    """Thread t's j-th transaction moves one unit from account a[(t-1+j) % M] to
    the next account. With the default M = 2, odd and even threads move money in
    opposite directions, the classic way to make two lock-based transactions
    take the same locks in opposite orders. Invariant: the sum of balances."""

    name = "transfer"
    about = "move one unit between two accounts; invariant: the sum of balances"
    default_keys, min_keys = 2, 2
    BALANCE = 10

    def build(self):
        m = self.nkeys
        self.keys = {f"a{i}": self.BALANCE for i in range(m)}
        for t in range(1, self.threads + 1):
            prog = []
            for j in range(self.txns):
                src = (t - 1 + j) % m
                dst = (src + 1) % m
                prog.append((f"transfer a{src}->a{dst}", _transfer(f"a{src}", f"a{dst}")))
            self.programs[t] = prog

    def invariant(self, final, committed):
        total = sum(final.values())
        want = self.BALANCE * self.nkeys
        if total != want:
            shown = ", ".join(f"{k}={v}" for k, v in final.items())
            return f"the sum of balances is {total}, not {want} ({shown})"
        return None


def _transfer(src, dst):
    def body(tx):
        a = yield from tx.read(src)
        b = yield from tx.read(dst)
        yield from tx.write(src, a - 1)
        yield from tx.write(dst, b + 1)
    return body
