"""The explored state graph, stored compactly: what the state-graph search keeps per state.

Why: the search keeps every state it has seen, with its parent (to replay a
path to it), its enabled threads (fairness), its edges (cycles) and how many
of its edges still wait in the queue. As Python objects (a dict from key
tuples to nodes, a tuple per parent, a list of tuples per node's edges) that
cost 612 bytes a state on tl2 transfer, 3 threads; here it costs 98 (62,248
states, covered views included, each state built with its view): flat arrays
of machine integers, and the visited set an open-addressing table of packed
keys (`Table`). Where the views are folded over the places afterwards
(strategies/views_after.py) the store holds the places (17,040 there) and
the whole graph costs 72 bytes a state.

A state's key is the ids of its three parts (memory, thread positions,
history view), each distinct part stored once in `parts` (a table per kind)
with every tuple and set inside it shared with equal ones (`_intern`); the
three ids are packed into one integer (`PART_BITS` bits each), which numbers
up to 2 million distinct parts of each kind (states share parts widely: tl2
transfer, 3 threads, 62,248 states, 17,920 parts). Past any limit the search says so and
stops (a bound, never a wrong answer). Nothing is hashed away: the store is
exact.

`nbytes` counts what it holds, the same figure in every process (`explore`
prints it per state on its `explored:` line).
"""

from __future__ import annotations

import sys
from array import array

PART_BITS = 21
_PART_LIMIT = (1 << PART_BITS) - 1    # the last id is no part's: a key with it is a place's (`at_place`)
PLACE_MASK = (1 << 2 * PART_BITS) - 1   # a key's memory and positions: where the state is, its view aside
_PLACE_KEY = _PART_LIMIT << 2 * PART_BITS
_KINDS = ("memories", "thread positions", "history views")
NODE_MASK = (1 << 27) - 1      # nodes and edges are numbered in 27 bits (an edge is one word)
_EDGE_LIMIT = NODE_MASK
_EMPTY = -1


class StoreFull(Exception):
    """More distinct memories, positions or views than a packed key can number, or more
    states or transitions than an edge word can: the search stops there, bounded."""


class Table:
    """An exact map from non-negative integers below 2^63 to node numbers, by open
    addressing (linear probing) over two arrays: 12 bytes a slot, at most 70% of them used.

    Why not a dict: a dict entry with its own key and value objects costs about 110
    bytes; here a key is a slot of an `array('q')`."""

    __slots__ = ("keys", "nodes", "mask", "used")

    def __init__(self, size: int = 1 << 12):
        self.keys = array("q", [_EMPTY]) * size
        self.nodes = array("i", [0]) * size
        self.mask = size - 1
        self.used = 0

    def get(self, key: int):
        keys, mask = self.keys, self.mask
        i = _slot(key, mask)
        while True:
            k = keys[i]
            if k == key:
                return self.nodes[i]
            if k == _EMPTY:
                return None
            i = (i + 1) & mask

    def put(self, key: int, node: int) -> None:
        """Add `key` (not in the table) with `node`."""
        if 10 * (self.used + 1) > 7 * len(self.keys):
            self._grow()
        keys, mask = self.keys, self.mask
        i = _slot(key, mask)
        while keys[i] != _EMPTY:
            i = (i + 1) & mask
        keys[i] = key
        self.nodes[i] = node
        self.used += 1

    def _grow(self) -> None:
        old_keys, old_nodes = self.keys, self.nodes
        size = 2 * len(old_keys)
        self.keys = array("q", [_EMPTY]) * size
        self.nodes = array("i", [0]) * size
        self.mask, self.used = size - 1, 0
        for k, n in zip(old_keys, old_nodes):
            if k != _EMPTY:
                self.put(k, n)

    def __len__(self) -> int:
        return self.used

    def nbytes(self) -> int:
        return len(self.keys) * (self.keys.itemsize + self.nodes.itemsize)


def _slot(key: int, mask: int) -> int:
    # the three packed ids mixed, so that keys differing in any of them spread over the table
    return ((key ^ (key >> PART_BITS) ^ (key >> (2 * PART_BITS))) * 0x9E3779B1 >> 7) & mask


class GraphStore:
    """States (nodes 0, 1, ...; 0 is the initial state) with their parent edge, enabled
    threads, waiting edges and outgoing edges (thread, next node, commits), in
    insertion order."""

    def __init__(self, places: bool = False):
        self.index = Table()
        self.parts = ({}, {}, {})              # memory, positions, history view -> its id (by kind)
        self.views: list = []                  # view id -> the view (compared where `places` are kept)
        #: kept when views are compared (`GraphSearch`, "Covered views"): the states with the
        #: same memory and positions (a place) in a chain of view ids, the first in `index` under
        #: the place's key (`_PLACE_KEY`), each state -> the next one's (-1: the last); `index`
        #: finds the state of a place and a view (4 bytes a state, no second table)
        self.places = places
        self.next_at_place = array("i")
        self.shared: dict = {}                 # every tuple and set inside the parts, stored once
        self.sets: list = []                   # each distinct enabled-threads tuple
        self.set_ids: dict = {}                # enabled-threads tuple -> its index in `sets`
        self.enabled_id = array("H")           # node -> index of its enabled threads in `sets`
        self.parent_node = array("i")          # node -> parent node (-1 for the root)
        self.parent_thread = bytearray()       # node -> the thread of the edge from its parent
        #: node -> the length of its parent path when its parent was set: at least the true one (a
        #: node's parent path gets shorter when an ancestor's does), and one more than its
        #: parent's, which keeps `GraphSearch._shorten` from ever making a node its own ancestor
        self.depth = array("i")
        #: node -> its edges still waiting in the queue, a bit per thread (bit t - 1): a byte a
        #: state up to 8 threads, wider once a thread beyond needs it (`widen_waits`); a set of
        #: waiting edges cost about 75 bytes an edge
        self.waits = bytearray()
        self.last = array("i")                 # node -> the last edge added from it (-1: none)
        self.edge = array("q")                 # edge -> (the node's edge before it + 1) << 36 | next node << 9
                                               #         | commits << 8 | thread

    def __len__(self) -> int:
        return len(self.parent_node)

    # -- states -------------------------------------------------------------------------------
    def key(self, memory, positions, view) -> int:
        """The packed key of a state with these parts (each part numbered once)."""
        key = 0
        for kind, part in enumerate((memory, positions, view)):
            parts = self.parts[kind]
            i = parts.get(part)
            if i is None:
                part = _intern(part, self.shared, keep=False)   # equal pieces of parts stored once
                i = parts[part] = len(parts)
                if i >= _PART_LIMIT:
                    raise StoreFull(f"more than {_PART_LIMIT:,} distinct {_KINDS[kind]}")
                if kind == 2 and self.places:
                    self.views.append(part)
            key |= i << kind * PART_BITS
        return key

    def lookup(self, memory, positions, view):
        """The packed key of a state with these parts, or None when one of them was never stored
        (nothing is stored: for a search by symmetry's images, most of which are new)."""
        key = 0
        for kind, part in enumerate((memory, positions, view)):
            i = self.parts[kind].get(part)
            if i is None:
                return None
            key |= i << kind * PART_BITS
        return key

    def find(self, key: int):
        return self.index.get(key)

    def view(self, key: int):
        """The history view of a state's key (`places` kept only)."""
        return self.views[key >> 2 * PART_BITS]

    def at_place(self, key: int):
        """(node, view id) of each state with `key`'s memory and positions (`places` kept only)."""
        place, index, nxt = key & PLACE_MASK, self.index, self.next_at_place
        view = index.get(place | _PLACE_KEY)
        while view is not None and view >= 0:
            node = index.get(place | view << 2 * PART_BITS)
            yield node, view
            view = nxt[node]

    def add(self, key: int, enabled: tuple, parent: int, thread: int) -> int:
        node = len(self.parent_node)
        if node >= NODE_MASK:
            raise StoreFull(f"more than {NODE_MASK:,} states")
        self.index.put(key, node)
        if self.places:
            place, view = key & PLACE_MASK, key >> 2 * PART_BITS
            first = self.index.get(place | _PLACE_KEY)
            if first is None:
                self.index.put(place | _PLACE_KEY, view)
                self.next_at_place.append(-1)
            else:                    # second in its place's chain: the first stays the table's
                head = self.index.get(place | first << 2 * PART_BITS)
                self.next_at_place.append(self.next_at_place[head])
                self.next_at_place[head] = view
        self.parent_node.append(parent)
        self.parent_thread.append(thread)
        self.depth.append(self.depth[parent] + 1 if parent >= 0 else 0)
        enabled = tuple(enabled)
        i = self.set_ids.get(enabled)
        if i is None:
            i = self.set_ids[enabled] = len(self.sets)
            self.sets.append(enabled)
        self.enabled_id.append(i)
        self.waits.append(0)
        self.last.append(-1)
        return node

    def widen_waits(self, mask: int) -> bool:
        """Make `waits` wide enough for `mask` (two bytes a state up to 16 threads, eight up to
        64); False beyond 64 threads."""
        bits = mask.bit_length()
        if bits > 64:
            return False
        self.waits = array("H" if bits <= 16 else "Q", list(self.waits))
        return True

    def clear_waits(self) -> None:
        """No edge waits any more (the search stopped), in place."""
        w = self.waits
        w[:] = bytearray(len(w)) if type(w) is bytearray else array(w.typecode, bytes(len(w) * w.itemsize))

    def enabled(self, node: int) -> tuple:
        """The threads that can step in `node`."""
        return self.sets[self.enabled_id[node]]

    def parent(self, node: int) -> tuple:
        """(parent node, thread) of `node`; (-1, 0) for the root."""
        return self.parent_node[node], self.parent_thread[node]

    def set_parent(self, node: int, parent: int, thread: int) -> None:
        self.parent_node[node] = parent
        self.parent_thread[node] = thread
        self.depth[node] = self.depth[parent] + 1

    # -- edges --------------------------------------------------------------------------------
    def add_edge(self, u: int, thread: int, v: int, commits: bool) -> None:
        e = len(self.edge)
        if e >= _EDGE_LIMIT:
            raise StoreFull(f"more than {_EDGE_LIMIT:,} transitions")
        self.edge.append((self.last[u] + 1) << 36 | v << 9 | (256 if commits else 0) | thread)
        self.last[u] = e

    def out(self, u: int, tags=None) -> list:
        """`u`'s edges, [(thread, next node, commits)], in the order they were added; with `tags`
        (a value per edge, in the order edges were added), each edge's fourth."""
        out, e, edge = [], self.last[u], self.edge
        while e >= 0:
            x = edge[e]
            out.append((x & 255, (x >> 9) & NODE_MASK, bool(x & 256)) if tags is None else
                       (x & 255, (x >> 9) & NODE_MASK, bool(x & 256), tags[e]))
            e = (x >> 36) - 1
        out.reverse()
        return out

    # -- what it costs ------------------------------------------------------------------------
    def nbytes(self) -> int:
        """Bytes the store holds: its arrays, the enabled-set list, and every distinct part
        (nested tuples and sets counted through, each object once). Deterministic: the same
        search gives the same figure."""
        arrays = (self.parent_node, self.depth, self.last, self.edge, self.enabled_id, self.next_at_place)
        total = self.index.nbytes() + sum(len(a) * a.itemsize for a in arrays)
        total += len(self.parent_thread) + len(self.waits) * getattr(self.waits, "itemsize", 1)
        total += sum(map(sys.getsizeof, self.parts)) + sys.getsizeof(self.shared)
        total += sys.getsizeof(self.set_ids)
        total += sys.getsizeof(self.views)
        return total + _deep_size([p for parts in self.parts for p in parts] + self.sets)


def numbered(key, value, ids: dict, values: list) -> int:
    """`value`'s number in `values`, equal keys sharing one; a key with an unhashable value
    inside gets a number of its own."""
    try:
        found = ids.get(key)
    except TypeError:
        key = found = None
    if found is None:
        found = len(values)
        values.append(value)
        if key is not None:
            ids[key] = found
    return found


def _intern(o, shared: dict, keep: bool = True):
    """`o` with every tuple and frozenset inside it replaced by the one equal object in
    `shared` (added there when new); `o` itself too, unless not `keep` (a part: `parts`
    keeps it once already)."""
    t = type(o)
    if t is tuple:
        o = tuple([_intern(x, shared) for x in o])
    elif t is frozenset:
        o = frozenset([_intern(x, shared) for x in o])
    else:
        return o
    return shared.setdefault(o, o) if keep else o


def _deep_size(objects: list) -> int:
    """Bytes of `objects` and everything inside them, each tuple or set once (they are
    interned, `_intern`: one object per value) and each other value once per type and value
    (which object holds an equal number or string may differ from run to run; the figure
    must not)."""
    seen: set = set()
    total, stack = 0, list(objects)
    while stack:
        o = stack.pop()
        t = type(o)
        if t is tuple or t is frozenset or t is list or t is set:
            if id(o) in seen:
                continue
            seen.add(id(o))
            stack.extend(o)
        else:
            k = (t, o)
            if k in seen:
                continue
            seen.add(k)
        total += sys.getsizeof(o)
    return total
