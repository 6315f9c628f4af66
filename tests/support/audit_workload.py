"""A two-thread workload with a read-only transaction, which the shipped ones lack:
thread 1 moves one unit from a0 to a1, thread 2 only reads both (read-only bugs
of tl2-readonly-unchecked and norec-no-revalidation show on it)."""

from stmcheck.models.workloads import Workload


class Audit(Workload):
    name = "audit"
    default_keys, min_keys = 2, 2

    def build(self):
        self.keys = {"a0": 10, "a1": 10}

        def transfer(tx):
            a = yield from tx.read("a0")
            b = yield from tx.read("a1")
            yield from tx.write("a0", a - 1)
            yield from tx.write("a1", b + 1)

        def audit(tx):
            yield from tx.read("a0")
            yield from tx.read("a1")

        self.programs = {1: [("transfer", transfer)], 2: [("audit", audit)]}
