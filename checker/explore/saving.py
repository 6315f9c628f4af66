"""A state-graph search saved between two runs, to go on with in another process.

Why: some graphs outlast a sitting (3-thread DSTM with an aggressive manager on counter:
4,390,778 states, about 3.4 hours of a core), and a process that ends takes its search with it. A search given a `SaveFile` writes itself there every `every` seconds and when
its runs stop; a search started with the same file goes on from where the file left it.

What is saved: the explorer's whole state between two runs, pickled in one piece so that what
is shared stays shared: the strategy's store, queue and counters, the positions table every
state key refers to, the cached verdicts and what a collecting explorer recorded (the matrix's
`_Collect`), and the outcome's counters. What is not: the explorer's configuration (bounds,
progress display, the file itself), which the caller gives anew; the workload and the design
class, which the caller builds again (their programs are closures, a design with a manager is a
class made at load time); runs a view keeps as a cache; the strategy's snapshots ("Resumed
runs" in strategies/graph.py: they only spare replays, and they hold design objects, native
ones among them). Objects compared by identity are saved by name and mapped onto this
process's own: the stamp slots (`stamps.Slot`) and the mark of a loop-head checkpoint.

Why the search that goes on is the one that stopped: a save happens only between two runs,
where the strategy's state is whole (no run in flight, no edge half taken), and what the
search does next depends on that state alone (a first-in first-out queue: no clock, no
random choice). Without snapshots every run replays its path from the initial state, which
reaches the same state. tests/explore/test_saving.py holds it: a search stopped at its bound
on states (once or more, where hypothesis draws) or on runs, and continued from its file, here
or in another process, ends with the stored graph, the states and transitions, and the
verdicts of one run straight through.

What it costs, measured: the store is flat arrays, so a save is cheap beside the search (the
matrix's dstm+aggressive counter, 3 threads by symmetry: 150,000 states saved in 0.1 s of CPU,
11.4 MB; 769,665 states in 63.7 MB, 83 bytes a state on disk against about 460 resident). The
runs after a save replay from the initial state until new states have snapshots again: dstm
counter, 3 threads, saved once at 3 s and gone on with, 967,000 steps against 739,138 straight
through (the same 42,727 runs, graph and verdicts).

A file names the search it holds (design, workload, threads, criterion, the explorer's and the
strategy's kinds and options) and the code that made it (`code_digest`): states of other code
are not this code's states, so a file of anything else is refused, saying what differs."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import io
import os
import pickle
import time
from pathlib import Path

from stmcheck.models.stamps import Slot

from . import runtime

FORMAT = "stmcheck.saved-search/1"
#: The explorer's attributes the caller gives (configuration, and what cannot be pickled):
#: everything else is the search's state.
_GIVEN = frozenset({"design_cls", "workload", "progress", "time_limit", "max_executions", "stop_on_interrupt",
                    "saving"})
#: The strategy's: the hooks the explorer sets (its bound on states is given too: `reopen`).
_GIVEN_STRATEGY = frozenset({"tick", "deadline"})


class SaveError(Exception):
    """A file that cannot be read as this search's saved state (another search, other code,
    not a saved search at all): the message says which and what to do."""


#: The code a search runs (its modules and C sources): the explorer and its strategies, the
#: criteria and linearizability it judges by, the designs and the models, and the API and matrix
#: modules that build explorers. Not the CLI, reports, benchmarks or cluster code: a change there
#: leaves a saved search good.
_SEARCH_CODE = ("checker/explore", "checker/history", "checker/linearizability", "checker/api.py",
                "checker/matrix.py", "checker/graphs.py", "models", "implementations")


@functools.cache
def code_digest() -> str:
    """The digest of the code a search runs (`_SEARCH_CODE`): a saved search is of the code that
    made it."""
    root = Path(__file__).resolve().parents[2]
    h = hashlib.sha256()
    for part in _SEARCH_CODE:
        where = root / part
        for path in sorted(where.rglob("*")) if where.is_dir() else [where]:
            if path.suffix in (".py", ".c", ".h") and "__pycache__" not in path.parts:
                h.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()[:16]


def describe(explorer) -> dict:
    """What names a search: two searches with the same description and code are one search."""
    strategy = explorer.strategy
    workload = explorer.workload
    return {
        "design": f"{explorer.design_cls.__module__}.{explorer.design_cls.__qualname__}",
        "workload": getattr(workload, "name", type(workload).__name__),
        "threads": workload.threads,
        "options": repr(sorted(_options(workload).items())),
        "retries": getattr(workload, "retries", None),
        "keys": repr(sorted(workload.keys.items(), key=repr)),
        "programs": _labels(workload),
        "criterion": str(explorer.criterion),
        "explorer": type(explorer).__name__,
        "strategy": type(strategy).__name__,
        "symmetry": bool(getattr(strategy, "symmetry", False)),
        "max_steps": explorer.max_steps,
        "exact_histories": explorer.exact_histories,
        "stop_at_first": explorer.stop_at_first,
    }


def _options(workload) -> dict:
    options = getattr(workload, "options", None)
    return options() if callable(options) else {}


def _labels(workload) -> str:
    """Each thread's transactions by label: what tells two programs of one workload name apart
    (their bodies are closures)."""
    try:
        return repr([[entry[0] for entry in workload.program(t)] for t in range(1, workload.threads + 1)])
    except Exception:        # a workload with programs of another shape: its name and options say it
        return ""


class _Saver(pickle.Pickler):
    def __init__(self, file, explorer):
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self.workload, self.design = explorer.workload, explorer.design_cls

    def persistent_id(self, obj):
        if obj is self.workload:
            return "workload"
        if obj is self.design:
            return "design"
        if obj is runtime._CHECKPOINT:
            return "checkpoint mark"
        t = type(obj)
        if t is Slot:
            return ("slot", obj.domain)
        if t is runtime.Run:
            return "run"             # a view's cache of the run it last read
        return None


class _Loader(pickle.Unpickler):
    def __init__(self, file, explorer):
        super().__init__(file)
        self.workload, self.design = explorer.workload, explorer.design_cls

    def persistent_load(self, pid):
        if pid == "workload":
            return self.workload
        if pid == "design":
            return self.design
        if pid == "checkpoint mark":
            return runtime._CHECKPOINT
        if pid == "run":
            return None
        if isinstance(pid, tuple) and pid[0] == "slot":
            return runtime._SLOTS.setdefault(pid[1], Slot(pid[1]))
        raise pickle.UnpicklingError(f"unknown object in a saved search: {pid!r}")


class SaveFile:
    """Where a graph search saves itself (`path`), and how often (`every` seconds); `resumed`
    says, once the search started, whether it went on from the file (the outcome's figures,
    executions and seconds, then count every process's)."""

    def __init__(self, path, every: float = 600.0):
        self.path = Path(path)
        self.every = every
        self.resumed = False
        self.saves = 0

    def header(self) -> dict:
        """The file's header without its state (what `load` checks first), or SaveError."""
        try:
            with open(self.path, "rb") as f:
                header = pickle.load(f)
        except OSError as exc:
            raise SaveError(f"{self.path}: cannot be read ({exc.strerror or exc})") from None
        except Exception:
            header = None
        if not isinstance(header, dict) or header.get("format") != FORMAT:
            raise SaveError(f"{self.path}: not a saved search ({FORMAT})")
        if header.get("code") != code_digest():
            raise SaveError(f"{self.path}: saved by other code (digest {header.get('code')}, this code's "
                            f"{code_digest()}); its states are not this code's: delete it to start afresh")
        return header

    def save(self, explorer, out) -> None:
        """Write the search's state (between two runs) and `out`'s counters, atomically: a save cut
        short leaves the last whole one."""
        strategy = explorer.strategy
        if getattr(strategy, "views_after", None) is not None:
            raise SaveError("a search is saved between its runs, not after its views were folded")
        state = {k: v for k, v in vars(explorer).items() if k not in _GIVEN}
        snapshots, came_from = strategy.snapshots, strategy._from
        strategy.snapshots, strategy._from = {}, None
        body = io.BytesIO()
        try:
            _Saver(body, explorer).dump((state, {
                "executions": out.executions, "steps": out.steps, "cut": out.cut,
                "signatures": out.signatures, "histories": out.histories,
                "elapsed": out.elapsed}))
        finally:
            strategy.snapshots, strategy._from = snapshots, came_from
        header = {"format": FORMAT, "code": code_digest(), "search": describe(explorer),
                  "states": getattr(strategy, "states", None), "saved": time.time()}
        tmp = self.path.with_name(self.path.name + ".part")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with open(tmp, "wb") as f:
                pickle.dump(header, f, protocol=pickle.HIGHEST_PROTOCOL)
                f.write(body.getbuffer())
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.path)
        except OSError as exc:      # (a full disk): the search stops, and the last whole save stands
            with contextlib.suppress(OSError):
                tmp.unlink()
            kept = "the search saved there before stands: the same command goes on from it" \
                if self.path.exists() else "nothing was saved"
            raise SaveError(f"{self.path}: cannot be written ({exc.strerror or exc}); {kept}") from None
        self.saves += 1

    def load(self, explorer, out) -> bool:
        """Put the saved search into `explorer` (built for the same search, not yet run) and its
        counters into `out`; False where there is no file yet (the search starts afresh)."""
        if not hasattr(explorer.strategy, "reopen"):
            raise SaveError(f"{self.path}: only a state-graph search is saved, not {explorer.strategy.name}")
        if not self.path.exists():
            return False
        header = self.header()
        mine = describe(explorer)
        if header["search"] != mine:
            diff = ", ".join(f"{k} {header['search'].get(k)!r} (here {v!r})"
                             for k, v in mine.items() if header["search"].get(k) != v)
            raise SaveError(f"{self.path}: the saved search is another one: {diff}")
        fresh = explorer.strategy
        with open(self.path, "rb") as f:
            pickle.load(f)                      # the header, checked above
            state, counters = _Loader(f, explorer).load()
        explorer.__dict__.update(state)
        strategy = explorer.strategy
        for k in _GIVEN_STRATEGY:
            if hasattr(fresh, k):
                setattr(strategy, k, getattr(fresh, k))
        strategy.reopen(fresh.max_states)       # a larger bound goes on past where the saved one stopped
        for k, v in counters.items():
            setattr(out, k, v)
        self.resumed = True
        return True
