"""`stateful`: exhaustive depth-first search that remembers the states it has explored.

DPOR merges executions that differ only in the order of independent steps.
On designs like TL2 that is not enough: with two transactions per thread,
almost every order of the lock-word and clock accesses is a different trace,
yet most of them lead to the same state with the same history so far (an
aborted read that saw version 1 or version 2 of a lock word aborts all the
same). This search is a plain depth-first search over every interleaving
that, at each state, computes the state's key (`statekey.state_key`: what the
rest of the run depends on, and what the judges have seen of its history)
and does not go below a key it has been below already: every continuation
from there ends with the same signatures, final states and violations as one
already judged. Executions are still run from the start (generators cannot be
copied), so an execution that reaches a known state ends there (`stopped`).

Sound without conditions: no reduction by independence is involved (so none
of the pitfalls of combining sleep sets or DPOR with state caching, Yang et
al., SPIN 2008), the key includes the depth (the graph of keys is acyclic, so
a key met again has been fully explored), and it is exact (not a hash).
Memory grows with the number of distinct keys: each is kept.

`CountingCache` is the same search with only the future key (no history):
it records the graph of states and counts, without running them, how many
executions plain enumeration would run (`count_interleavings`).
"""

from __future__ import annotations

from .base import DepthFirst
from ..statekey import future_key, state_key


class _Node:
    __slots__ = ("enabled", "chosen", "todo", "key")

    def __init__(self, enabled, key):
        self.enabled = enabled
        self.key = key
        self.chosen = None
        self.todo: list = []


class StateCache(DepthFirst):
    name = "stateful"
    fair = False  # as DPOR and plain: an unfair loop ends the run (its alternatives are other branches)

    def __init__(self, key=state_key):
        super().__init__()
        self.key = key
        self.seen: set = set()
        self.hits = 0  # executions ended at a state explored before

    def pick(self, run, enabled):
        d = len(run.schedule)
        stack = self.stack
        if d < len(stack):
            return self.replay_choice(d, enabled)
        key = self.key(run)
        self.arrived(d, key)
        if key in self.seen:
            self.hits += 1
            return None
        self.seen.add(key)
        node = _Node(enabled, key)
        last = run.schedule[-1] if d else None
        first = last if last in enabled else enabled[0]
        node.chosen = first
        node.todo = [t for t in reversed(enabled) if t != first]
        stack.append(node)
        return first

    def arrived(self, d, key):
        """Hook: the run reached a new position `d` whose key is `key`."""

    def finish(self, run):
        self.ended(run)
        stack = self.stack
        for d in range(len(stack) - 1, -1, -1):
            node = stack[d]
            if node.todo:
                del stack[d + 1:]
                node.chosen = node.todo.pop()
                return
        self.stack = []
        self.exhausted = True

    def ended(self, run):
        """Hook: `run` has ended (before backtracking)."""


LEAF = None


class CountingCache(StateCache):
    """Explores the graph of future keys and counts the complete schedules in it."""

    name = "count"

    def __init__(self):
        super().__init__(key=future_key)
        self.edges: dict = {}  # key -> {thread: child key, or LEAF}
        self.root = None

    def arrived(self, d, key):
        if d:
            parent = self.stack[d - 1]
            self.edges.setdefault(parent.key, {})[parent.chosen] = key
        elif self.root is None:
            self.root = key

    def ended(self, run):
        if run.outcome != "stopped" and self.stack and len(run.schedule) == len(self.stack):
            top = self.stack[-1]
            self.edges.setdefault(top.key, {})[top.chosen] = LEAF

    def count(self) -> int:
        """The number of executions plain enumeration runs: the leaves of the execution
        tree, counted as paths through the graph of states (post-order, memoized)."""
        memo: dict = {}
        stack = [(self.root, False)]
        while stack:
            key, expanded = stack.pop()
            if key in memo:
                continue
            children = self.edges.get(key, {}).values()
            if expanded:
                memo[key] = sum(1 if c is LEAF else memo[c] for c in children)
                continue
            stack.append((key, True))
            stack.extend((c, False) for c in children if c is not LEAF and c not in memo)
        return memo[self.root]


def count_interleavings(explore):
    """The exact number of executions `plain` runs on a configuration, without running
    them, and the number of distinct states. `explore(strategy)` runs an Explorer with
    the strategy to its end and returns its Outcome."""
    strategy = CountingCache()
    out = explore(strategy)
    if not strategy.exhausted or out.violations and not strategy.exhausted:
        raise RuntimeError("the state graph was not exhausted within the budget")
    return strategy.count(), len(strategy.seen), out
