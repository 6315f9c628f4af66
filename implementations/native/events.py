"""Native event buffers -> `stmcheck.history/1` histories.

A buffer is an array of `stm_event` (six int64 each: time, key, value,
thread, attempt, op). Two ways of ordering them:

- controlled mode: the buffer order *is* the real-time order (one OS thread
  ran everything), so events are taken as they stand;
- free mode and libitm: each thread has its own buffer in program order, and
  only begin stamps (taken before the attempt starts) and end stamps (taken
  after commit/abort returned) relate threads. Attempt A really finished
  before B began only when end(A) < begin(B) strictly: equal readings of the
  clock say nothing. So begins and ends are sorted by (stamp, begins first):
  an end is placed before a begin only if its stamp is strictly smaller, and
  no real-time order is ever invented. A thread's stamps strictly increase
  (the recorder re-reads the clock until it moves), so its own attempts stay
  in program order. Reads and writes follow their begin, in program order;
  their place relative to other attempts carries no meaning for any criterion.

Transaction ids are `T<thread>.<attempt>` (attempts count retries, so an id
is never reused, even across stress rounds).
"""

from __future__ import annotations

from stmcheck.models.history import History, HistoryBuilder

OPS = ("begin", "read", "write", "commit", "abort")
FIELDS = 6


def rows(raw: bytes | memoryview) -> list:
    """The buffer as a flat list of ints (FIELDS per event)."""
    return memoryview(raw).cast("B").cast("q").tolist()


def _event(thread, attempt, op, key, value) -> dict:
    if op == 1 or op == 2:
        return {"thread": thread, "txn": f"T{thread}.{attempt}", "op": OPS[op], "key": key, "value": value}
    return {"thread": thread, "txn": f"T{thread}.{attempt}", "op": OPS[op]}


def initial_map(values) -> dict:
    return {str(k): v for k, v in enumerate(values)}


def controlled_history(raw, initial) -> History:
    """A history from one controlled execution's buffer (already in real-time order)."""
    flat = rows(raw)
    builder = HistoryBuilder(initial_map(initial))
    for i in range(0, len(flat), FIELDS):
        _, key, value, thread, attempt, op = flat[i:i + FIELDS]
        builder.add(_event(thread, attempt, op, key, value))
    return builder.finish()


def split_attempts(flat: list) -> list:
    """Per-thread program-order events -> [(begin, end, thread, attempt, events)]."""
    out = []
    current = None
    for i in range(0, len(flat), FIELDS):
        time, key, value, thread, attempt, op = flat[i:i + FIELDS]
        if op == 0:
            current = [time, None, thread, attempt, [_event(thread, attempt, 0, 0, 0)]]
            out.append(current)
        elif current is None or current[3] != attempt:
            raise ValueError(f"native recorder bug: event of attempt {attempt} outside its attempt")
        elif op >= 3:
            current[1] = time
            current[4].append(_event(thread, attempt, op, 0, 0))
            current = None
        else:
            current[4].append(_event(thread, attempt, op, key, value))
    return out


def merged_events(attempts: list):
    """Events of stamped attempts in an order that never invents real-time precedence."""
    marks = []
    for n, a in enumerate(attempts):
        marks.append((a[0], 0, n))          # begin: before any end with the same stamp
        if a[1] is not None:
            marks.append((a[1], 1, n))
    marks.sort()
    for _, is_end, n in marks:
        evs = attempts[n][4]
        if is_end:
            yield evs[-1]
        else:
            yield from (evs if attempts[n][1] is None else evs[:-1])


def stamped_history(buffers, initial) -> History:
    """A history from per-thread buffers of stamped events (free mode, libitm)."""
    attempts = []
    for raw in buffers:
        attempts.extend(split_attempts(rows(raw)))
    builder = HistoryBuilder(initial_map(initial))
    for event in merged_events(attempts):
        builder.add(event)
    return builder.finish()


def balance(value: int, scale: int = 10 ** 9) -> int:
    """The balance in a bank-workload value (balance * 10^9 + writer tag)."""
    return value // scale
