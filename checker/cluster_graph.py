"""The state-graph search on a Ray cluster: `explore --cluster ...` with the graph strategy.

Each worker is a Ray actor holding one partition of the places (their digests, the schedules
that reach them, the edges taken from them: explore/strategies/partition.py says how places
are owned and why the verdicts are the one-process search's). The search goes in rounds: in
round r each actor takes the batches the others sent it in round r - `LAG`, makes at most
`ROUND` runs from the edges it has queued (each run goes on while it can), and returns one
pickled batch of successors a partition. This process hands each batch to its owner as a Ray
object reference, without reading it, and hands out round r + `LAG` as soon as it has read the
small counts of round r, so an actor starts its next round without waiting for the slowest
one's last. Which batches a round reads is fixed by its number, not by timing, so the runs,
their counts and the counterexamples they find are the same every time. Termination is exact:
the search is over once `LAG` rounds in a row sent nothing (no batch is in flight) and no actor
has an edge queued (the round already handed out reads nothing and does nothing). Then every
partition sends its share of the graph here, where it is numbered and judged
(`GatheredGraph`): the fold of the history views, livelock and starvation, and the replay of
each counterexample the partitions' runs found.

No partial-order reduction is done (every enabled thread is expanded at every place), so no
cycle proviso is needed, distributed or not.

Faults: an actor holds its partition's places only in memory, so a worker that dies loses
them; the run then fails with a message saying what Ray reported (`ClusterFailure`), never a
verdict.

Measured (reports/cluster.md, `stmcheck bench cluster`): tl2 3 x 1, 2 workers, 1.57x one worker
(the search's own seconds, Ray's start and stop aside); 37, 67 and 103 bytes sent a place on 2, 4
and 8 workers, the largest partition 1.04, 1.26 and 1.38 times the mean. docs/scaling.md projects
these to larger clusters.
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
#: A round reads the batches sent `LAG` rounds before: an actor then waits for the others' round
#: before last, not their last one (with the last one, every round waited for the slowest actor and
#: for this process: tl2 swap 3 x 1, 2 workers, median of 3: 5.2 s, against 4.4 s with LAG 2 and
#: 6.3 s for one worker).
LAG = 2
#: With --stop-at-first (the default), the places built so far are gathered and searched for a
#: livelock (or, cyclic, starvation) once there are `LOOK_FROM`, then each time they have grown
#: `LOOK_GROWTH` times, as a search in one process looks each time its graph doubles: a livelock
#: near the start is then reported without building the whole graph. Every look gathers all
#: places so far, so together they cost at most a third more than the gathering at the end.
LOOK_FROM = 4096
LOOK_GROWTH = 4


class Partition:
    """One partition of the search (a Ray actor, lent for one search and kept for the next:
    `cluster.lent_actors`, `start`, `stop`)."""

    def start(self, api, prepare: dict, criterion: str, part: int, partitions: int, max_states: int,
              stop_at_first: bool) -> None:
        """Take partition `part` of a new search; `api`: the module with `prepare` and
        `make_explorer` (checker/api.py, which imports this one: handed over)."""
        setup = api.prepare(**prepare)
        base = CyclicExplorer if setup.config.cyclic else Explorer
        self.runs = PartitionRuns(part, partitions, max_states)
        self.explorer = api.make_explorer(setup, self.runs, criterion=criterion, explorer_cls=base,
                                          stop_at_first=stop_at_first)
        self.explorer.positions = DigestPositions()
        self.explorer.explain = False
        self.counts = Outcome()
        self.found: list = []
        self.sent = 0                     # bytes of messages sent
        self.busy = 0.0                   # CPU seconds in rounds

    def round(self, *inboxes) -> list:
        """Take the messages (pickled batches), expand every queued edge; [what this round did,
        then one pickled batch a partition (None: nothing for it)]."""
        began = time.process_time()
        for batch in inboxes:
            if batch is not None:
                self.runs.receive(pickle.loads(batch))
        self.runs.runs_left = ROUND
        done = self.explorer.explore()
        self.counts.add_runs(done)
        self.found += [v.run.choices for v in done.violations]
        batches = [pickle.dumps(m, protocol=pickle.HIGHEST_PROTOCOL) if m else None
                   for m in self.runs.take_outbox()]
        sent = sum(len(b) for b in batches if b)
        self.sent += sent
        self.busy += time.process_time() - began
        stats = {"places": len(self.runs.digest), "runs": self.counts.executions, "sent": sent,
                 "violations": len(self.found), "full": self.runs.full, "queued": len(self.runs.queue)}
        return [stats] + batches

    def gathered(self) -> dict:
        share = self.runs.gathered()
        share.update(found=self.found, counts=self.counts, sent=self.sent, busy=self.busy)
        return share

    def stop(self) -> None:
        """The search is over: let its places go (the actor waits for the next)."""
        self.__dict__.clear()


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
    with cluster.connect(spec) as ray:
        connected = time.monotonic()
        n = cluster.workers(ray)
        with cluster.lent_actors(ray, Partition, n, num_cpus=1, max_restarts=0) as actors:
            _get(ray, [a.start.remote(api, prepare, explorer.criterion, i, n, graph.max_states, explorer.stop_at_first)
                       for i, a in enumerate(actors)], "starting the partitions")
            shares, bounds, rounds, rounds_seconds = _rounds(ray, actors, explorer, root, mem, at.enabled,
                                                             start, connected, time_limit)
            _get(ray, [a.stop.remote() for a in actors], "ending the search")
        gathered = time.monotonic()
    stopped = time.monotonic()        # a local instance is stopped when the block ends
    graph.gather(shares, root, root_view)
    graph.bounds |= bounds
    graph.found = [s for share in shares for s in share["found"]]
    graph.ran_elsewhere = Outcome()
    for share in shares:
        graph.ran_elsewhere.add_runs(share["counts"])
    graph.spread = {"workers": n, "rounds": rounds, "bytes_sent": sum(share["sent"] for share in shares),
                    "places": [len(share["nodes"]) for share in shares],
                    "ray_start_seconds": round(connected - start, 3), "ray_stop_seconds": round(stopped - gathered, 3),
                    "rounds_seconds": round(rounds_seconds, 3),
                    "busy_seconds": [round(share["busy"], 3) for share in shares]}
    if time_limit is not None:
        time_limit = max(0.0, time_limit - (time.monotonic() - start))
    explorer.time_limit = time_limit
    out = explorer.explore()
    out.elapsed = time.monotonic() - start
    return out


def _rounds(ray, actors, explorer, root: bytes, mem, enabled, start: float, connected: float,
            time_limit: float | None):
    """Hand out rounds until the search is over (see the module docstring): (each partition's
    share, the bounds met, rounds handed out, seconds from connecting to the last round read)."""
    graph, n = explorer.strategy, len(actors)
    bounds, rounds, rounds_seconds = set(), 0, 0.0
    first = ray.put(pickle.dumps([(root, b"", enabled, 0)]))
    submitted: list = []          # round -> each actor's refs: its stats, then a batch a partition

    def submit(r: int) -> None:
        def inbox(i):
            if r < LAG:
                return [first] if r == 0 and i == owner(mem, n) else []
            return [submitted[r - LAG][j][1 + i] for j in range(n) if j != i]
        submitted.append([a.round.options(num_returns=n + 1).remote(*inbox(i)) for i, a in enumerate(actors)])
        if r >= LAG:
            submitted[r - LAG] = None     # its batches are in the arguments of round r now

    for r in range(LAG):
        submit(r)
    r, quiet, look = 0, 0, LOOK_FROM
    try:
        while True:
            stats = _get(ray, [x[0] for x in submitted[r]], "round")
            rounds = r + LAG          # the rounds already handed out run, whatever is decided here
            rounds_seconds = time.monotonic() - connected
            if explorer.progress is not None:
                explorer.progress(Outcome(states=sum(s["places"] for s in stats),
                                          executions=sum(s["runs"] for s in stats)))
            quiet = quiet + 1 if not any(s["sent"] for s in stats) else 0
            if quiet >= LAG and not any(s["queued"] for s in stats):
                break                 # nothing in flight (sent in the last LAG rounds), nothing queued
            if any(s["full"] for s in stats):
                break
            if explorer.stop_at_first and any(s["violations"] for s in stats):
                bounds.add("stopped at a violation before the graph was complete")
                break
            places = sum(s["places"] for s in stats)
            if explorer.stop_at_first and places >= look:
                look = places * LOOK_GROWTH
                cycle = _cycle_so_far(ray, actors, graph, root)
                if cycle is not None:
                    bounds.add(f"stopped at a {cycle} before the graph was complete")
                    break
            if time_limit is not None and time.monotonic() - start >= time_limit:
                bounds.add(f"time-limit {time_limit:g} s")
                break
            submit(r + LAG)
            r += 1
    except KeyboardInterrupt:
        bounds.add(INTERRUPTED)
    shares = _get(ray, [a.gathered.remote() for a in actors], "gathering the graph")
    return shares, bounds, rounds, rounds_seconds


def _cycle_so_far(ray, actors, graph, root: bytes):
    """`GatheredGraph.first_cycle` of the places built so far (no history view: cycles need none).
    The shares are read after the round already handed out: the same round every time."""
    shares = _get(ray, [a.gathered.remote() for a in actors], "looking for a cycle")
    part = GatheredGraph(graph.max_states)
    part.starvers = graph.starvers
    part.gather(shares, root, None)
    return part.first_cycle()


def _get(ray, refs: list, what: str) -> list:
    """ray.get, with a dead actor (its partition lost) as `ClusterFailure`."""
    try:
        return ray.get(refs)
    except (ray.exceptions.RayActorError, ray.exceptions.WorkerCrashedError, ray.exceptions.NodeDiedError,
            ray.exceptions.ObjectLostError) as exc:
        said = next((line.strip() for line in str(exc).splitlines() if line.strip()), "")
        raise cluster.ClusterFailure(
            f"a worker of the graph search died ({what}; {type(exc).__name__}{': ' + said[:300] if said else ''}): "
            f"its partition of the states is lost, so the search has no verdict (a design that ends its process "
            f"does this: explore it without --cluster to get the crash counterexample)") from None
    except ray.exceptions.RayTaskError as exc:
        raise exc.as_instanceof_cause() from None
