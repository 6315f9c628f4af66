"""A plain search over the states a design's runs reach: the oracle of the tests that check
the state-graph searches (GIL outcomes, progress properties).

Plain: no reduction, no fused marks, no graph store; each run replays a prefix of choices from
the start, then takes, at each state not met before, the first thread it may, and remembers the
others as prefixes still to take. States are `Run.abstract_state()`s, which name positions by a
table shared by every run they are compared across (`Positions`): give every run one table.
"""

from __future__ import annotations


class StateSearch:
    """The chooser of one run: takes `prefix`, then at each state not in `seen` the first thread
    `allowed(enabled)` keeps (all enabled threads by default), queuing the others in `others`;
    it stops at a state met before, and at one where `allowed` keeps none (`stuck`)."""

    def __init__(self, prefix, seen: set, allowed=None):
        self.prefix, self.seen, self.allowed = prefix, seen, allowed
        self.taken: list = []
        self.others: list = []
        self.stuck = False

    def pick(self, run, enabled):
        i = len(self.taken)
        if i < len(self.prefix):
            t = self.prefix[i]
        else:
            key = run.abstract_state()
            if key in self.seen:
                return None
            self.seen.add(key)
            mine = list(enabled) if self.allowed is None else self.allowed(enabled)
            if not mine:
                self.stuck = True
                return None
            t = mine[0]
            self.others.extend(self.taken + [u] for u in mine[1:])
        self.taken.append(t)
        return t


def search(new_run, start=(), allowed=None, seen=None):
    """Every run of the search from the state `start` (a schedule) leads to: (run, chooser)
    pairs, in depth-first order; `new_run()` builds a run (sharing one `Positions` table).
    `seen` (a set, filled as the search goes) gets the states the search met."""
    seen = set() if seen is None else seen
    stack = [list(start)]
    while stack:
        chooser = StateSearch(stack.pop(), seen, allowed)
        run = new_run()
        run.execute(chooser)
        yield run, chooser
        stack.extend(chooser.others)
