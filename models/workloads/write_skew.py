"""`write-skew`: two keys per pair, each transaction withdraws from its side when the pair's sum allows.

Why: write skew needs disjoint write sets (every transfer writes both accounts,
so a lock conflict hides it), and it is the anomaly snapshot isolation allows
and serializability forbids.
"""

from __future__ import annotations

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
    finite_cycle = True
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

    def thread_class(self, thread):
        return (thread - 1) % self.nkeys      # `build` reads t - 1 + j only by (i // 2) % pairs and i % 2

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
