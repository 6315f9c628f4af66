"""Programs with code outside transactions: the GIL question's workloads (`--criterion gil`).

Why: the PyPy post that started this project replaces the GIL by running each
batch of bytecodes as a transaction, and "any visible I/O is going to end the
transaction and start the next one". Whether that behaves like the GIL depends
on what happens *between* batches: I/O, and code that touches shared data
without a transaction because the program made it private (privatization) or
has not shared it yet (publication). These workloads have such steps
(`Outside` items); checker/explore/gil.py judges their runs by what a user can
see: the output log and the final memory, against the same program under one
global lock.
"""

from __future__ import annotations

from .base import Outside, Workload


class _OutsideWorkload(Workload):
    """One fixed program per thread, on keys of its own."""

    finite_cycle = True
    default_keys = min_keys = 0

    def __init__(self, threads: int, txns: int = 1, keys: int | None = None, retries: int | None = None):
        if txns != 1 or keys:        # 0: what a rebuild by name passes (nkeys)
            raise ValueError(f"workload {self.name} has one fixed program per thread: no --txns or --keys")
        super().__init__(threads, txns, keys, retries)

    def options(self):
        return {}


class Privatize(_OutsideWorkload):
    """Thread 1 unlinks a shared node in a transaction (`linked` = 0), then uses it privately:
    stores `data` = 100 and prints `data`, outside any transaction. Every other thread, in a
    transaction, increments the node's `data` if it is still linked. Under the GIL the
    privatizer always prints 100 and leaves `data` = 100 (an increment runs wholly before the
    unlink or sees the node unlinked). An STM whose committed writer writes back after its
    commit point (TL2's delayed write-back) or lets a doomed reader go on can overwrite the
    private store: privatization safety (Spear, Marathe, Dalessandro and Scott, 2007)."""

    name = "privatize"
    about = ("thread 1 unlinks a node in a transaction, then writes and prints its data outside one; "
             "the others increment the data while it is linked (judge: --criterion gil)")

    def build(self):
        self.keys.update({"linked": 1, "data": 0})
        self.programs[1] = [("unlink the node: linked = 0", _unlink),
                            ("outside: data = 100, print data", Outside(_use_privately))]
        for t in range(2, self.threads + 1):
            self.programs[t] = [("if linked: data += 1", _increment_if_linked)]


def _unlink(tx):
    if (yield from tx.read("linked")):
        yield from tx.write("linked", 0)


def _use_privately(io):
    yield from io.store("data", 100)
    yield from io.emit((yield from io.load("data")))


def _increment_if_linked(tx):
    if (yield from tx.read("linked")):
        d = yield from tx.read("data")
        yield from tx.write("data", d + 1)


class Publish(_OutsideWorkload):
    """Thread 1 initializes a node outside any transaction (`data` = 42), then publishes it in a
    transaction (`ready` = 1). Every other thread, in a transaction, reads `data` and then
    `ready`, and copies what it read into its own `seen` key when the node is ready (-1 when
    not). Under the GIL, a reader that sees the node ready sees its data: `seen` is -1 or 42.
    An STM that validates a read by the key's version alone does not see the non-transactional
    initialization, and a reader whose read of `data` came before it commits `seen` = 0:
    publication safety."""

    name = "publish"
    about = ("thread 1 writes a node's data outside a transaction, then publishes it in one; the others "
             "read data, then ready, and keep the data when ready (judge: --criterion gil)")

    def build(self):
        self.keys.update({"ready": 0, "data": 0})
        self.programs[1] = [("outside: data = 42", Outside(_initialize)), ("publish: ready = 1", _publish)]
        for t in range(2, self.threads + 1):
            self.keys[f"seen{t}"] = 0
            self.programs[t] = [(f"d = data; if ready: seen{t} = d, else seen{t} = -1", _read_published(t))]


def _initialize(io):
    yield from io.store("data", 42)


def _publish(tx):
    yield from tx.write("ready", 1)


def _read_published(t):
    def body(tx):
        d = yield from tx.read("data")
        r = yield from tx.read("ready")
        yield from tx.write(f"seen{t}", d if r else -1)
    return body


class PrintCounter(_OutsideWorkload):
    """Each thread increments a shared counter in a transaction, then prints it outside (the
    post's I/O that ends a batch: the print sees the counter as it is then, maybe already
    incremented by another thread). Under the GIL the counter ends at the number of threads
    and the printed values are increments' results in some order; a lost update, or a print
    of a value no GIL run prints, is a violation."""

    name = "print-counter"
    about = "each thread increments a counter in a transaction, then prints it outside one (judge: --criterion gil)"

    def build(self):
        self.keys["c"] = 0
        for t in range(1, self.threads + 1):
            self.programs[t] = [("c += 1", _increment), ("outside: print c", Outside(_print_counter))]


def _increment(tx):
    c = yield from tx.read("c")
    yield from tx.write("c", c + 1)


def _print_counter(io):
    yield from io.emit((yield from io.load("c")))


class PrintInBatch(_OutsideWorkload):
    """Each thread, in one transaction, reads a shared counter, prints it, and increments it:
    I/O inside a batch, which cannot be taken back. The attempt becomes inevitable before the
    print where the design offers it (`become_inevitable`); under the GIL the prints are 0, 1,
    ... in some order. A design that prints from an attempt that then aborts is caught
    (kind `inevitability`), and so is one that lets an inevitable attempt abort or two be
    inevitable at once."""

    name = "print-in-batch"
    io_in_batches = True
    about = ("each thread reads a counter, prints it and increments it, all in one transaction: I/O inside "
             "a batch (judge: --criterion gil; the attempt becomes inevitable where the design can)")

    def build(self):
        self.keys["c"] = 0
        for t in range(1, self.threads + 1):
            self.programs[t] = [("print c; c += 1", _print_and_increment)]


def _print_and_increment(tx):
    c = yield from tx.read("c")
    yield from tx.emit(c)
    yield from tx.write("c", c + 1)
