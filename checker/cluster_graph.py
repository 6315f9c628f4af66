"""The state-graph search on a Ray cluster: `explore --cluster ...` with the graph strategy.

Each worker is a Ray actor holding one partition of the places (their digests, the schedules
that reach them, the edges taken from them: explore/strategies/partition.py says how places
are owned and why the verdicts are the one-process search's). The search goes in rounds: each
actor takes the messages sent to it, expands every edge it has queued (its runs go on while
they stay on its own places), and returns one batch of messages per partition, pickled; this
process hands each batch to its owner for the next round as a Ray object reference, without
reading it. A round ends at a barrier (every actor returned), so termination is exact: the
search is over after a round in which no actor sent anything (every queue was empty at its end
and no message is in flight). Then every partition sends its share of the graph here, where it
is numbered and judged (`GatheredGraph`): the fold of the history views, livelock and
starvation, and the replay of each counterexample the partitions' runs found.

No partial-order reduction is done (every enabled thread is expanded at every place), so no
cycle proviso is needed, distributed or not.

Faults: an actor holds its partition's places only in memory, so a worker that dies loses
them; the run then fails with a message naming the partition (`ClusterFailure`), never a verdict.

Measured (reports/cluster.md, `stmcheck bench cluster`): the bytes sent a place and the balance
of places across partitions for 2, 4 and 8 workers.
"""

from __future__ import annotations

import pickle
import time

from . import cluster
from .explore.engine import INTERRUPTED, CyclicExplorer, Explorer, Outcome
from .explore.strategies.base import Strategy
from .explore.strategies.partition import DigestPositions, GatheredGraph, PartitionRuns, Placer, owner


#: Runs an actor makes in a round before it sends what it found: small enough that every partition
#: has work soon (a round that emptied its queue let the others idle in turn: 2 workers were no
#: faster than one on tl2 3 x 1), large enough that a round's call and barrier are small beside it.
ROUND = 256


class Partition:
    """One partition of the search (a Ray actor: `ray.remote(Partition)`); `api`: the module with
    `prepare` and `make_explorer` (checker/api.py, which imports this one: handed over)."""

    def __init__(self, api, prepare: dict, criterion: str, part: int, partitions: int, max_states: int,
                 stop_at_first: bool):
        setup = api.prepare(**prepare)
        base = CyclicExplorer if setup.config.cyclic else Explorer
        self.runs = PartitionRuns(part, partitions, max_states)
        self.explorer = api.make_explorer(setup, self.runs, criterion=criterion, explorer_cls=base,
                                          stop_at_first=stop_at_first)
        self.explorer.positions = DigestPositions()
        self.explorer.explain = False
        self.counts = Outcome()
        self.found: list = []

    def round(self, *inboxes) -> list:
        """Take the messages (pickled batches), expand every queued edge; [what this round did,
        then one pickled batch a partition (None: nothing for it)]."""
        for batch in inboxes:
            self.runs.receive(pickle.loads(batch))
        self.runs.runs_left = ROUND
        done = self.explorer.explore()
        c = self.counts
        c.executions += done.executions
        c.steps += done.steps
        c.cut += done.cut
        c.signatures |= done.signatures
        self.found += [v.run.choices for v in done.violations]
        batches = [pickle.dumps(m, protocol=pickle.HIGHEST_PROTOCOL) if m else None
                   for m in self.runs.take_outbox()]
        stats = {"places": len(self.runs.digest), "sent": [len(b) if b else 0 for b in batches],
                 "violations": len(self.found), "full": self.runs.full, "queued": len(self.runs.queue)}
        return [stats] + batches

    def gathered(self) -> dict:
        share = self.runs.gathered()
        c = self.counts
        share.update(found=self.found, executions=c.executions, steps=c.steps, cut=c.cut, signatures=c.signatures)
        return share


class _AtRoot(Strategy):
    """Stands at the initial state and stops: what the search starts from."""
    fair = False
    finds_cycles = True
    fuses_marks = True

    def pick(self, run, enabled):
        self.place = run.abstract_state()
        self.enabled = enabled
        return None


def explore(api, spec: str, prepare: dict, explorer, time_limit: float | None = None) -> Outcome:
    """The graph search of `explorer`'s setup on the cluster `spec` names, judged by `explorer`
    (built here with a `GatheredGraph`); `prepare`: the setup's arguments, for the workers."""
    graph = explorer.strategy
    start = time.monotonic()
    explorer.positions = DigestPositions()     # the replays here name places as the workers do
    here = explorer.new_run(detect_lassos=False)
    at = _AtRoot()
    here.execute(at)
    root, mem = Placer()(*at.place, here.positions.digests)
    root_view = graph.product(here) if graph.product is not None else None
    bounds, rounds, sent, places = set(), 0, 0, []
    with cluster.connect(spec) as ray:
        n = cluster.workers(ray)
        actor = ray.remote(num_cpus=1, max_restarts=0)(Partition)
        actors = [actor.remote(api, prepare, explorer.criterion, i, n, graph.max_states, explorer.stop_at_first)
                  for i in range(n)]
        inboxes = [[] for _ in range(n)]
        inboxes[owner(mem, n)].append(ray.put(pickle.dumps([(root, b"", at.enabled, 0)])))
        try:
            while True:
                refs = [a.round.options(num_returns=n + 1).remote(*inboxes[i]) for i, a in enumerate(actors)]
                stats = _get(ray, [r[0] for r in refs], "round")
                rounds += 1
                inboxes = [[refs[i][1 + j] for i in range(n) if stats[i]["sent"][j]] for j in range(n)]
                sent += sum(sum(s["sent"]) for s in stats)
                places = [s["places"] for s in stats]
                if explorer.progress is not None:
                    explorer.progress(Outcome(states=sum(places)))
                if not any(inboxes) and not any(s["queued"] for s in stats) or any(s["full"] for s in stats):
                    break
                if explorer.stop_at_first and any(s["violations"] for s in stats):
                    bounds.add("stopped at a violation before the graph was complete")
                    break
                if time_limit is not None and time.monotonic() - start >= time_limit:
                    bounds.add(f"time-limit {time_limit:g} s")
                    break
        except KeyboardInterrupt:
            bounds.add(INTERRUPTED)
        shares = _get(ray, [a.gathered.remote() for a in actors], "gathering the graph")
    graph.gather(shares, root, root_view)
    graph.bounds |= bounds
    graph.found = [s for share in shares for s in share["found"]]
    counts = graph.ran_elsewhere = Outcome()
    for share in shares:
        counts.executions += share["executions"]
        counts.steps += share["steps"]
        counts.cut += share["cut"]
        counts.signatures |= share["signatures"]
    graph.spread = {"workers": n, "rounds": rounds, "bytes_sent": sent, "places": places}
    if time_limit is not None:
        time_limit = max(0.0, time_limit - (time.monotonic() - start))
    explorer.time_limit = time_limit
    out = explorer.explore()
    out.elapsed = time.monotonic() - start
    return out


def _get(ray, refs: list, what: str) -> list:
    """ray.get, with a dead actor (its partition lost) as `ClusterFailure`."""
    try:
        return ray.get(refs)
    except (ray.exceptions.RayActorError, ray.exceptions.WorkerCrashedError, ray.exceptions.NodeDiedError,
            ray.exceptions.ObjectLostError) as exc:
        raise cluster.ClusterFailure(
            f"a worker of the graph search died ({what}; {type(exc).__name__}): its partition of the states is "
            f"lost, so the search has no verdict") from None
    except ray.exceptions.RayTaskError as exc:
        raise exc.as_instanceof_cause() from None
