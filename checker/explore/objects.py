"""The operation view of an object workload's execution, and its linearizability.

Why a second view: a transaction history says whether the *design* kept its
promise (opacity, serializability); an operation history says whether the
*objects built on it* behave as their sequential specification says, which is
what a program using them sees. `stmcheck explore DESIGN --object KIND` checks
both on every complete execution.

How the operation history is made (`stmcheck.ophistory/1`, times are step
numbers of the execution):

- thread t's k-th method call is one client operation of client t; its call
  is the first step of its first attempt (the attempt's BEGIN) and its return
  the last step of its committed attempt (the END after the commit), so its
  interval covers every attempt it made;
- its result is recomputed from the reads of the committed attempt
  (`models.objects.result_of`): the operation history is a function of the
  transaction history, and real-time order between operations is real-time
  order between attempts, so the explorer's cache of verdicts by history
  signature stays sound (the final state is added to the key);
- a call given up after `--retries` raised in the program and had no effect:
  it is left out;
- after the last step, an observer (client "observer") reads the final state
  with read-only calls of the object itself (`observe`), one after another, so
  that a lost update shows even when every call returns null.

Kept out of the engine (engine.py) so that the engine only learns one new kind,
`linearizability`, and this module imports nothing of it (no cycle).
"""

from __future__ import annotations

import json

from stmcheck.models.history import HistoryError
from stmcheck.models.objects import result_of
from stmcheck.models.opformats import OPHISTORY_FORMAT, build_history
from stmcheck.models.specs import get_spec

from ..linearizability.search import check_linearizability

LIN_TIMEOUT = 30.0  # seconds per operation history; histories here are tiny, this only guards huge --txns


def is_object_workload(workload) -> bool:
    return getattr(workload, "calls", None) is not None and hasattr(workload, "observe")


class ObjectVerdict:
    """The operation history of one execution (`doc`, `history`) and its verdict (`result`)."""

    __slots__ = ("doc", "history", "result", "steps")

    def __init__(self, doc, history, result, steps):
        self.doc, self.history, self.result, self.steps = doc, history, result, steps


class ObjectError(Exception):
    """The operation history cannot be built (a body that is not deterministic, ...)."""


def operation_rows(workload, events, event_steps, final, nsteps):
    """`(client, op, args, call, return, result, label)` rows for one complete execution."""
    attempts: dict = {}  # txn -> [thread, begin step, end step, outcome, reads]
    order: dict = {}     # thread -> its attempts, in order
    for e, s in zip(events, event_steps):
        op, txn = e["op"], e["txn"]
        if op == "begin":
            attempts[txn] = [e["thread"], s, None, None, []]
            order.setdefault(e["thread"], []).append(txn)
        elif op == "read":
            attempts[txn][4].append((e["key"], e["value"]))
        elif op in ("commit", "abort"):
            attempts[txn][2], attempts[txn][3] = s, op
    rows = []
    for t in sorted(order):
        calls = workload.calls[t]
        k, tries, first = 0, 0, None
        for txn in order[t]:
            _, begin, end, outcome, reads = attempts[txn]
            if outcome is None:
                raise ObjectError(f"attempt {txn} never ended in a complete execution")
            first = begin if first is None else first
            tries += 1
            if outcome == "commit":
                call = calls[k]
                try:
                    result = result_of(call, reads)
                except ValueError as exc:
                    raise ObjectError(str(exc)) from None
                rows.append((t, call.op, list(call.args), first, end, result, call.label))
            elif workload.retry(tries):
                continue
            k, tries, first = k + 1, 0, None
    rows.sort(key=lambda r: r[3])
    if final is not None and "__blocked__" not in final:
        for i, (op, args, result) in enumerate(workload.observe(final)):
            rows.append(("observer", op, list(args), nsteps + 2 * i, nsteps + 2 * i + 1, result, f"final {op}"))
    return rows


def check_operations(workload, run) -> ObjectVerdict:
    """Build the operation history of `run` and decide its linearizability (ObjectError if it cannot)."""
    rows = operation_rows(workload, run.events, run.event_steps, run.final, len(run.steps))
    spec = get_spec(workload.spec)
    initial = workload.spec_initial()
    doc = {"format": OPHISTORY_FORMAT, "model": spec.name, "initial": initial,
           "operations": [{"client": c, "op": op, "args": args, "call": call, "return": ret, "result": result}
                          for c, op, args, call, ret, result, _ in rows]}
    doc = json.loads(json.dumps(doc))  # plain JSON, exactly what a file would hold
    try:
        history = build_history(spec, doc["initial"], [(o["client"], o["op"], o["args"], o["call"], o["return"],
                                                        o["result"], i) for i, o in enumerate(doc["operations"])],
                                "ophistory", where="the operation history")
    except HistoryError as exc:
        raise ObjectError(str(exc)) from None
    result = check_linearizability(history, timeout=LIN_TIMEOUT, engine="python")
    return ObjectVerdict(doc, history, result, [r[6] for r in rows])
