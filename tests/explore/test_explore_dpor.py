"""DPOR against plain enumeration of every interleaving.

On configurations small enough to enumerate, both must find exactly the same
set of distinct histories (by signature: what the criteria see) and the same
violation kinds, and DPOR must run fewer executions.
"""

import textwrap

import pytest

from stmcheck.checker import api

TOY = textwrap.dedent('''
    from stmcheck.models.machine import Abort

    class Empty:
        """Only the begin and end marks: real-time orders alone."""
        def __init__(self, machine, keys, threads): pass
        def begin(self, thread): return thread
        def read(self, tx, key): return 0
        def write(self, tx, key, value): pass
        def commit(self, tx): pass
        def abort(self, tx): pass

    class NoSync:
        """Loads and stores with no synchronisation at all: not serializable."""
        def __init__(self, machine, keys, threads):
            self.cells = {k: machine.cell(k, v) for k, v in keys.items()}
        def begin(self, thread): return thread
        def read(self, tx, key): return (yield self.cells[key].load())
        def write(self, tx, key, value): yield self.cells[key].store(value)
        def commit(self, tx): pass
        def abort(self, tx): pass

    class CasCommit:
        """Optimistic: buffer writes, commit each key with a CAS from the value read;
        a failed CAS aborts (and the retry reads again). Per-key CAS is not atomic across
        keys, so multi-key transactions are not serializable: a differential with aborts,
        retries and violations."""
        def __init__(self, machine, keys, threads):
            self.cells = {k: machine.cell(k, v) for k, v in keys.items()}
        def begin(self, thread): return {"seen": {}, "new": {}}
        def read(self, tx, key):
            if key in tx["new"]:
                return tx["new"][key]
            v = yield self.cells[key].load()
            tx["seen"].setdefault(key, v)
            return v
        def write(self, tx, key, value): tx["new"][key] = value
        def commit(self, tx):
            for key in sorted(tx["new"]):
                if not (yield self.cells[key].cas(tx["seen"][key], tx["new"][key])):
                    raise Abort("changed under us")
        def abort(self, tx): pass
''')


@pytest.fixture(scope="module")
def toy(tmp_path_factory):
    path = tmp_path_factory.mktemp("designs") / "toy.py"
    path.write_text(TOY)
    return str(path)


def toy_or_shipped(tmp_path_factory, design: str) -> str:
    """A design name for `api.prepare`: one of TOY's classes (NoSync, CasCommit, ...) by its file's
    path, written once per session, or a shipped design's name as it is."""
    if not design[0].isupper():
        return design
    path = tmp_path_factory.getbasetemp() / "toy_designs.py"
    if not path.exists():
        path.write_text(TOY)
    return f"{path}:{design}"


def run_all(design, workload, threads, txns, strategy):
    ex = api.make_explorer(api.prepare(design, workload, threads=threads, txns=txns), strategy,
                           max_executions=200000, time_limit=60, stop_at_first=False, exact_histories=True)
    out = ex.explore()
    assert out.exhausted or out.violations, "the configuration must be small enough to enumerate"
    kinds = {v.kind for v in out.violations}
    return out, kinds


CONFIGS = [
    ("global-lock", "counter", 2, 1),
    ("global-lock", "transfer", 2, 1),
    ("global-lock", "counter", 3, 1),
    ("locks-naive", "transfer", 2, 1),
    ("toy:Empty", "counter", 3, 1),
    ("toy:CasCommit", "counter", 2, 1),
    ("toy:CasCommit", "transfer", 2, 1),
    ("toy:NoSync", "transfer", 2, 1),
]


@pytest.mark.parametrize("design,workload,threads,txns", CONFIGS)
def test_dpor_matches_plain_enumeration(toy, design, workload, threads, txns):
    if design.startswith("toy:"):
        design = toy + ":" + design[4:]
    d, dk = run_all(design, workload, threads, txns, "dpor")
    p, pk = run_all(design, workload, threads, txns, "plain")
    assert d.signatures == p.signatures
    assert dk == pk
    assert d.executions < p.executions


def test_dpor_reduces_by_two_orders_of_magnitude():
    d, _ = run_all("global-lock", "counter", 2, 2, "dpor")
    p, _ = run_all("global-lock", "counter", 2, 2, "plain")
    assert d.signatures == p.signatures
    assert d.executions * 100 <= p.executions


def test_plain_prefix_is_covered_by_dpor_on_a_larger_space(toy):
    """Too large to enumerate (3 threads, aborts and retries): every history the first
    few thousand plain executions find, DPOR finds too."""
    design = toy + ":CasCommit"
    setup = api.prepare(design, "counter", threads=3)
    d = api.make_explorer(setup, "dpor", max_executions=20000, stop_at_first=False, exact_histories=True).explore()
    p = api.make_explorer(setup, "plain", max_executions=3000, stop_at_first=False).explore()
    assert d.exhausted and not p.exhausted
    assert p.signatures <= d.signatures
