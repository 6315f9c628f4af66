"""The explored state graph, stored compactly: what the state-graph search keeps per state.

Why: the search keeps every state it has seen, with its parent (to replay a
path to it), its enabled threads (fairness), its edges (cycles) and how many
of its edges still wait in the queue. As Python objects (a dict from key
tuples to nodes, a tuple per parent, a list of tuples per node's edges) that
cost 612 bytes a state on tl2 transfer, 3 threads (62,248 states then, each
built with its view); here flat arrays of machine integers, and the visited
set an open-addressing numbering of packed keys (`Numbering`; a `Table` where
a place's states are chained). Where the views are folded over the places
afterwards (strategies/views_after.py) the store holds the places: on tl2
transfer, 3 threads, 17,040 places in 1.22 MB, and with the edges' labels and
the folded views 2.05 MB for 21,437 states, 95 bytes a state (165 while
positions were tuples in a dict and the index a `Table`: `PositionIds`,
`Numbering`).

A state's key is the ids of its three parts (memory, thread positions,
history view), each distinct memory and view stored once (`memories`,
`view_ids`) with every tuple and set inside it shared with equal ones
(`_intern`), thread positions numbered by `PositionIds`; the three ids are
packed into one integer below 2^63, each in a field of its own width. The
widths start at 21 bits each and move where the parts are (`KeyLayout`):
when a kind outgrows its field, the fields are laid out again from what each
kind needs and every stored key is packed anew (eager transfer, 3 threads,
has millions of positions and a few thousand memories). Past 63 bits in all,
or any other limit, the search says so and stops (a bound, never a wrong
answer). Nothing is hashed away: the store is exact.

`nbytes` counts what it holds, the same figure in every process (`explore`
prints it per state on its `explored:` line).
"""

from __future__ import annotations

import sys
from array import array

KEY_BITS = 63                  # a packed key fits an array('q') slot, never negative
_KINDS = ("memories", "thread positions", "history views")
NODE_MASK = (1 << 27) - 1      # nodes and edges are numbered in 27 bits (an edge is one word)
_EDGE_LIMIT = NODE_MASK
_EMPTY = -1


class StoreFull(Exception):
    """More distinct memories, positions and views than a packed key can number, or more
    states or transitions than an edge word can: the search stops there, bounded."""


class KeyLayout:
    """Where a packed key keeps its three ids: the memory's in the low `widths[0]` bits, the
    positions' above, the view's on top. A field's all-ones value is no id (`limits`): in the
    view's field it marks a place's key (`place_key`: the place's memory and positions, no view).

    Why widths of their own: the kinds grow apart. tl2 transfer, 3 threads, has few of each;
    eager transfer, 3 threads, more than 2 million positions (the 21 bits of an even split) by
    2.5 million places, and the views of tl2 transfer 3 x 2 are 1.58 million."""

    __slots__ = ("widths", "total", "shift_p", "shift_v", "limits", "place_mask", "place_key")

    def __init__(self, widths, total: int = KEY_BITS):
        if sum(widths) > total or min(widths) < 1:
            raise ValueError(f"fields of {widths} bits do not fit a key of {total}")
        self.widths, self.total = tuple(widths), total
        self.shift_p, self.shift_v = widths[0], widths[0] + widths[1]
        self.limits = tuple((1 << w) - 1 for w in widths)     # every id of a kind is below its limit
        self.place_mask = (1 << self.shift_v) - 1              # a key's memory and positions: its place
        self.place_key = self.limits[2] << self.shift_v

    @classmethod
    def even(cls, total: int = KEY_BITS) -> "KeyLayout":
        w = total // 3
        return cls((w, total - 2 * w, w), total)

    def pack(self, m: int, p: int, v: int) -> int:
        return m | p << self.shift_p | v << self.shift_v

    def unpack(self, key: int) -> tuple:
        return key & self.limits[0], key >> self.shift_p & self.limits[1], key >> self.shift_v

    def wider(self, highest: list, kind: int) -> "KeyLayout":
        """A layout where each kind's `highest` id fits, the bits left over shared evenly (the
        rest to `kind`, the one that outgrew its field); StoreFull when they cannot all fit."""
        needs = [(max(h, 0) + 1).bit_length() for h in highest]   # h + 1 < 2^need: h is below the limit
                                                                 # (a kind with no id yet: one bit)
        spare = self.total - sum(needs)
        if spare < 0:
            raise StoreFull(f"more than {self.total} bits for a state's key: "
                            + ", ".join(f"{h + 1:,} {name}" for h, name in zip(highest, _KINDS)))
        widths = [n + spare // 3 for n in needs]
        widths[kind] += spare % 3
        return KeyLayout(widths, self.total)

    def repack(self, key: int, new: "KeyLayout") -> int:
        """`key` (this layout's) in the `new` layout: the same ids, a place's key still one."""
        m, p, v = self.unpack(key)
        return new.pack(m, p, new.limits[2] if v == self.limits[2] else v)


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
            self._refill(2 * len(self.keys))
        keys, mask = self.keys, self.mask
        i = _slot(key, mask)
        while keys[i] != _EMPTY:
            i = (i + 1) & mask
        keys[i] = key
        self.nodes[i] = node
        self.used += 1

    def rekey(self, new_key) -> None:
        """Every key k replaced by `new_key(k)` (distinct keys staying distinct), nodes kept."""
        self._refill(len(self.keys), new_key)

    def _refill(self, size: int, new_key=None) -> None:
        old_keys, old_nodes = self.keys, self.nodes
        self.keys = array("q", [_EMPTY]) * size
        self.nodes = array("i", [0]) * size
        self.mask, self.used = size - 1, 0
        for k, n in zip(old_keys, old_nodes):
            if k != _EMPTY:
                self.put(k if new_key is None else new_key(k), n)

    def __len__(self) -> int:
        return self.used

    def nbytes(self) -> int:
        return len(self.keys) * (self.keys.itemsize + self.nodes.itemsize)


def _slot(key: int, mask: int) -> int:
    # every bit of the key mixed into the bits the mask keeps (a Fibonacci hash of the key folded
    # in two): packed ids differ in a few low bits of each field, and a fold of the fields alone
    # (xor) let positions packed 21 bits apart collide in long runs (tl2 transfer, 3 threads:
    # `PositionIds.id` took 10 us a call with it, 4.6 with this)
    return ((key ^ key >> 31) * 0x9E3779B97F4A7C15 >> 32) & mask


class Numbering:
    """Non-negative integers below 2^63 numbered 0, 1, ... in the order they are added, by open
    addressing over an array of numbers (4 bytes a slot, at most 70% used), each key kept once
    under its number (8 bytes).

    Why not `Table`: the numbers are dense, so a slot need not hold its key as well; on tl2
    transfer, 3 threads, the 16,433 thread positions cost 262 KB here, 393 KB in a `Table`."""

    __slots__ = ("keys", "slots", "mask")

    def __init__(self, size: int = 1 << 12):
        self.keys = array("q")                   # number -> its key (-1: a number given elsewhere)
        self.slots = array("i", [_EMPTY]) * size
        self.mask = size - 1

    def get(self, key: int):
        keys, slots, mask = self.keys, self.slots, self.mask
        i = ((key ^ key >> 31) * 0x9E3779B97F4A7C15 >> 32) & mask    # `_slot`, inline
        while True:
            n = slots[i]
            if n < 0:
                return None
            if keys[n] == key:
                return n
            i = (i + 1) & mask

    def put(self, key: int, node: int) -> None:
        """`Table.put` where every key's node is the next number (a store without places)."""
        if node != len(self.keys):
            raise ValueError(f"node {node} is not the next number, {len(self.keys)}")
        self.add(key)

    def add(self, key: int) -> int:
        """Number `key` (not numbered yet; -1: take a number and give it no key)."""
        n = len(self.keys)
        self.keys.append(key)
        if key >= 0:
            if 10 * n >= 7 * len(self.slots):
                self._rehash(2 * len(self.slots))
            else:
                self._place(n)
        return n

    def rekey(self, new_key) -> None:
        """Every key k replaced by `new_key(k)` (distinct keys staying distinct), numbers kept."""
        keys = self.keys
        for n, k in enumerate(keys):
            if k >= 0:
                keys[n] = new_key(k)
        self._rehash(len(self.slots))

    def _place(self, n: int) -> None:
        slots, mask = self.slots, self.mask
        i = _slot(self.keys[n], mask)
        while slots[i] >= 0:
            i = (i + 1) & mask
        slots[i] = n

    def _rehash(self, size: int) -> None:
        self.slots = array("i", [_EMPTY]) * size
        self.mask = size - 1
        for n, k in enumerate(self.keys):
            if k >= 0:
                self._place(n)

    def __len__(self) -> int:
        return len(self.keys)

    def nbytes(self) -> int:
        return len(self.keys) * self.keys.itemsize + len(self.slots) * self.slots.itemsize


class PositionIds:
    """Thread positions (a tuple, an entry per thread) numbered: each entry numbered once, the
    tuple's entry numbers packed into one integer (63 // threads bits each) and that numbered
    (`Numbering`); a tuple whose entry numbers do not fit is numbered in a dict of them.

    Why: positions are nearly as many as places (tl2 transfer, 3 threads: 16,433 of 17,040)
    while their entries are few (530 distinct ones): as tuples in a dict they cost 1.69 MB
    there (the tuples 1.10 MB, the dict 590 KB), half the whole store."""

    def __init__(self):
        self.entries: dict = {}         # a thread's position -> its number (every thread's alike)
        self.packed = Numbering()       # positions whose entry numbers fit a packing -> their id
        self.wide: dict = {}            # the others: the tuple of entry numbers -> their id
        self.length = None              # how many entries a packed tuple has (the first one's)
        self.bits = 0                   # bits an entry's number has in the packing

    def __len__(self) -> int:
        return len(self.packed)

    def id(self, positions: tuple, shared: dict, add: bool = True):
        """`positions`' id (numbered now if new and `add`), or None (new, not `add`)."""
        entries = self.entries
        ids = list(map(entries.get, positions))
        if None in ids:
            if not add:
                return None
            for i, entry in enumerate(positions):
                if ids[i] is None:
                    n = ids[i] = entries.get(entry)      # (an entry twice in the tuple: once)
                    if n is None:
                        ids[i] = entries[_intern(entry, shared)] = len(entries)
        if self.length is None:
            self.length, self.bits = len(ids), 63 // max(len(ids), 1)
        elif len(ids) != self.length:
            return self._wide(tuple(ids), add)
        bits, key = self.bits, 0
        for n in ids:
            if n >> bits:
                return self._wide(tuple(ids), add)
            key = key << bits | n
        found = self.packed.get(key)
        if found is None and add:
            found = self.packed.add(key)
        return found

    def _wide(self, ids: tuple, add: bool):
        found = self.wide.get(ids)
        if found is None and add:
            found = self.wide[ids] = self.packed.add(-1)
        return found

    def nbytes(self) -> int:
        """Bytes of the numbering and the dicts (what is inside them: `objects`)."""
        return self.packed.nbytes() + sys.getsizeof(self.entries) + sys.getsizeof(self.wide)

    def objects(self) -> list:
        return list(self.entries) + list(self.wide)


class GraphStore:
    """States (nodes 0, 1, ...; 0 is the initial state) with their parent edge, enabled
    threads, waiting edges and outgoing edges (thread, next node, commits), in
    insertion order."""

    def __init__(self, places: bool = False, key_bits: int | None = None):
        #: where a key's ids are (moved by `_widen`); `key_bits` narrower than 63 for tests
        self.layout = KeyLayout.even(key_bits or KEY_BITS)
        #: key -> node; with `places`, also a place's key -> the view id its chain begins with (not
        #: dense: a `Table`), without them the nodes are numbered in order (a `Numbering`)
        self.index = Table() if places else Numbering()
        self.memories: dict = {}               # memory -> its id
        self.positions = PositionIds()         # thread positions -> their id
        self.view_ids: dict = {}               # history view -> its id
        self.views: list = []                  # view id -> the view (compared where `places` are kept)
        #: kept when views are compared (`GraphSearch`, "Covered views"): the states with the
        #: same memory and positions (a place) in a chain of view ids, the first in `index` under
        #: the place's key (`KeyLayout.place_key`), each state -> the next one's (-1: the last); `index`
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
        m = self._number(self.memories, memory, 0)
        p = self.positions.id(positions, self.shared)
        if p >= self.layout.limits[1]:
            self._widen(1, p)
        v = self._number(self.view_ids, view, 2)
        layout = self.layout
        return m | p << layout.shift_p | v << layout.shift_v

    def _number(self, ids: dict, part, kind: int) -> int:
        """`part`'s number among the memories or views (`kind` 0 or 2), numbered now if new."""
        i = ids.get(part)
        if i is None:
            i = len(ids)
            if i >= self.layout.limits[kind]:
                self._widen(kind, i)
            part = _intern(part, self.shared, keep=False)   # equal pieces of parts stored once
            ids[part] = i
            if kind == 2 and self.places:
                self.views.append(part)
        return i

    def _widen(self, kind: int, i: int) -> None:
        """Id `i` of `kind` outgrew its field: lay the key out again (StoreFull when the kinds'
        ids do not fit 63 bits together) and pack every stored key anew. At most once per bit
        a kind's ids grow by: a kind's field is never narrower than its ids need."""
        highest = [len(self.memories) - 1, len(self.positions) - 1, len(self.view_ids) - 1]
        highest[kind] = max(highest[kind], i)
        old, new = self.layout, self.layout.wider(highest, kind)
        self.index.rekey(lambda key: old.repack(key, new))
        self.layout = new

    def lookup(self, memory, positions, view):
        """The packed key of a state with these parts, or None when one of them was never stored
        (nothing is stored: for a search by symmetry's images, most of which are new)."""
        m, p, v = (self.memories.get(memory), self.positions.id(positions, self.shared, add=False),
                   self.view_ids.get(view))
        if m is None or p is None or v is None:
            return None
        layout = self.layout
        return m | p << layout.shift_p | v << layout.shift_v

    def has_positions(self, positions) -> bool:
        """Whether some stored state has these thread positions."""
        return self.positions.id(positions, self.shared, add=False) is not None

    def find(self, key: int):
        return self.index.get(key)

    def view(self, key: int):
        """The history view of a state's key (`places` kept only)."""
        return self.views[key >> self.layout.shift_v]

    def at_place(self, key: int):
        """(node, view id) of each state with `key`'s memory and positions (`places` kept only)."""
        index, nxt, layout = self.index, self.next_at_place, self.layout
        place, shift = key & layout.place_mask, layout.shift_v
        view = index.get(place | layout.place_key)
        while view is not None and view >= 0:
            node = index.get(place | view << shift)
            yield node, view
            view = nxt[node]

    def add(self, key: int, enabled: tuple, parent: int, thread: int) -> int:
        node = len(self.parent_node)
        if node >= NODE_MASK:
            raise StoreFull(f"more than {NODE_MASK:,} states")
        self.index.put(key, node)
        if self.places:
            layout = self.layout
            place, view = key & layout.place_mask, key >> layout.shift_v
            first = self.index.get(place | layout.place_key)
            if first is None:
                self.index.put(place | layout.place_key, view)
                self.next_at_place.append(-1)
            else:                    # second in its place's chain: the first stays the table's
                head = self.index.get(place | first << layout.shift_v)
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
        total += sys.getsizeof(self.memories) + sys.getsizeof(self.view_ids) + sys.getsizeof(self.shared)
        total += self.positions.nbytes() + sys.getsizeof(self.set_ids) + sys.getsizeof(self.views)
        return total + _deep_size(list(self.memories) + list(self.view_ids) + self.positions.objects() + self.sets)


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


def _intern(o, shared: dict, keep: bool = True, done: dict | None = None):
    """`o` with every tuple and frozenset inside it replaced by the one equal object in
    `shared` (added there when new); `o` itself too, unless not `keep` (a part: `memories` or
    `view_ids` keeps it once already). `done` (id of an object read -> its answer) reads each object
    once however many hold it: for a caller whose objects all stay alive meanwhile (ids are
    not reused), as `views_after.shared_size` over views that share most of their pieces."""
    t = type(o)
    if t is not tuple and t is not frozenset:
        return o
    if done is not None:
        found = done.get(id(o))
        if found is not None:
            return found
    if t is tuple:
        out = tuple([_intern(x, shared, True, done) for x in o])
    else:
        out = frozenset([_intern(x, shared, True, done) for x in o])
    out = shared.setdefault(out, out) if keep else out
    if done is not None:
        done[id(o)] = out
    return out


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
