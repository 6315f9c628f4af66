"""Work spread over a Ray cluster (`--cluster ADDRESS|local[:N]`): independent pieces of a run
(the matrix's cells, a random or PCT campaign's chunks of executions: campaign.py) as Ray
tasks, their results read back in the order a one-process run gives them.

Why Ray: the pieces are plain functions of plain data (a cell is a design, a workload, a
thread count and a budget), so tasks fit, and Ray schedules them on every node of a cluster
with no code of ours to move data or watch processes. It is an optional extra
(`pip install -e .[cluster]`): the base install stays light, and without it `--cluster`
is a usage error that says how to get it.

`local` starts a Ray instance on this machine (one worker per core; `local:N`, N workers)
and stops it at the end; an ADDRESS (`ray://host:10001`, `host:6379`, or `auto`) joins a
running cluster (`ray start --head` on one node, `ray start --address=...` on the others).

Actors (the graph search's partitions: cluster_graph.py) are lent from a pool of this Ray
session's (`lent_actors`): a new actor is a new worker process, which imports Ray and stmcheck
anew (tl2 transfer on `local:2`, its second search and on: 1.8 s with new actors, 0.2 s with
kept ones). Idle ones are let go before tasks are sent (`as_completed`), whose CPUs they hold.

Faults: a task whose worker process dies (killed, out of memory, its node lost) is run again,
up to `RETRIES` times: a piece is a deterministic function of its input, so its second run
gives what the first would have. If it keeps dying the run fails (`ClusterFailure`, a usage
error naming the piece and what Ray said), never a partial result that looks whole.
"""

from __future__ import annotations

import logging
import os
from contextlib import contextmanager

#: Runs of a task after its worker died before the whole run fails.
RETRIES = 2


class ClusterUnavailable(Exception):
    """Ray is not installed, or the cluster cannot be reached or started: a usage error."""


class ClusterFailure(Exception):
    """A piece of the run failed on the cluster for good (its worker kept dying)."""


def parse(spec: str) -> tuple:
    """(address or None, workers or None) of a `--cluster` value; ValueError if malformed.
    `local` and `local:N` start a local instance (N workers; all cores when N is left out)."""
    text = (spec or "").strip()
    if not text:
        raise ValueError("--cluster needs ADDRESS, local or local:N")
    if text == "local":
        return None, None
    if text.startswith("local:"):
        n = text[len("local:"):]
        if not n.isdigit() or int(n) < 1:
            raise ValueError(f"--cluster {spec!r}: local:N needs a worker count N >= 1")
        return None, int(n)
    return text, None


def _ray():
    try:
        import ray
    except ImportError:
        raise ClusterUnavailable("--cluster runs on Ray, which is not installed here: "
                                 "pip install -e '.[cluster]' (or pip install 'ray>=2.9')") from None
    return ray


@contextmanager
def connect(spec: str):
    """Ray, connected to the cluster `spec` names (a local instance is started, then stopped), or
    as the caller connected it already (`ray.init` before: then `spec` is not read and nothing is
    stopped); the number of CPUs it offers is `workers(ray)`."""
    try:
        address, workers = parse(spec)
    except ValueError as exc:
        raise ClusterUnavailable(str(exc)) from None
    ray = _ray()
    if ray.is_initialized():          # the caller connected already (Python API, tests): use that
        yield ray
        return
    options = dict(include_dashboard=False, log_to_driver=False, logging_level=logging.ERROR,
                   configure_logging=True, ignore_reinit_error=False)
    try:      # the workers import stmcheck as installed (every node needs the same install)
        if address is None:
            ray.init(num_cpus=workers or os.cpu_count() or 1, **options)
        else:
            ray.init(address=address, **options)
    except Exception as exc:        # Ray's own errors: a bad address, a cluster that does not answer
        what = "start a local Ray instance" if address is None else f"reach the Ray cluster at {address}"
        first = str(exc).splitlines()[0] if str(exc) else ""
        raise ClusterUnavailable(f"cannot {what}: {type(exc).__name__}: {first}") from None
    try:
        yield ray
    finally:
        _IDLE.clear()       # this session's actors end with it
        ray.shutdown()


#: Idle actors kept between the searches of a Ray session: (the driver's node, which a new
#: session changes, the actor's class, its options) -> their handles.
_IDLE: dict = {}


@contextmanager
def lent_actors(ray, cls, n: int, **options):
    """`n` actors of `cls` (`ray.remote(**options)`): this session's idle ones first, then new
    ones. Given back when the block ends, unless it raised: then they are killed (one may
    have died, or be busy with work handed out)."""
    key = (_node(ray), cls.__name__, tuple(sorted(options.items())))
    idle = _IDLE.pop(key, []) if key[0] is not None else []
    for extra in idle[n:]:
        _kill(ray, extra)
    actors = idle[:n] + [ray.remote(**options)(cls).remote() for _ in range(n - len(idle))]
    try:
        yield actors
    except BaseException:
        for actor in actors:
            _kill(ray, actor)
        raise
    if key[0] is None:      # no session to keep them for
        for actor in actors:
            _kill(ray, actor)
    else:
        _IDLE.setdefault(key, []).extend(actors)


def let_idle_actors_go(ray) -> None:
    """Kill this session's idle actors (their CPUs are then free for tasks)."""
    node = _node(ray)
    for key in [k for k in _IDLE if k[0] == node]:
        for actor in _IDLE.pop(key):
            _kill(ray, actor)


def _node(ray):
    """The driver's node id (a new Ray session has a new one), or None where Ray's connection
    does not say (then actors are not kept)."""
    try:
        return ray.get_runtime_context().get_node_id()
    except Exception:
        return None


def _kill(ray, actor) -> None:
    try:
        ray.kill(actor)
    except Exception:       # already dead, or its session gone: nothing to free
        pass


def workers(ray) -> int:
    """The CPUs the connected cluster offers (its task slots)."""
    return int(ray.cluster_resources().get("CPU", 1))


def as_completed(ray, fn, items):
    """(index, `fn(*items[index])`) for each item, each a Ray task, as they finish. A task whose
    worker died is run again (`RETRIES`), then `ClusterFailure`; an error raised by `fn` itself
    is raised here as it was. Leaving early (an error, a ^C) cancels the tasks not finished."""
    let_idle_actors_go(ray)
    remote = ray.remote(max_retries=RETRIES, retry_exceptions=False)(fn)
    refs = [remote.remote(*item) for item in items]
    index = {ref: i for i, ref in enumerate(refs)}
    pending = list(refs)
    try:
        while pending:
            ready, pending = ray.wait(pending, num_returns=1)
            i = index[ready[0]]
            try:
                result = ray.get(ready[0])
            except ray.exceptions.RayTaskError as exc:   # fn raised: its own exception
                raise exc.as_instanceof_cause() from None
            except (ray.exceptions.WorkerCrashedError, ray.exceptions.RayActorError,
                    ray.exceptions.NodeDiedError, ray.exceptions.ObjectLostError) as exc:
                raise ClusterFailure(f"piece {i + 1} of {len(items)} ({_show(items[i])}) failed on the cluster: "
                                     f"its worker died {RETRIES + 1} times ({type(exc).__name__})") from None
            yield i, result
    finally:
        for ref in pending:
            ray.cancel(ref, force=True)


def _show(item) -> str:
    return " / ".join(str(x) for x in item[:3]) if isinstance(item, tuple) else str(item)
