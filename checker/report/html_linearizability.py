"""`stmcheck check FILE -c linearizability --html OUT`: an operation history drawn as Porcupine does.

Why: the text report lists the prefix and the operation that cannot be placed,
but whether that operation overlaps the ones before it, and which client ran
what when, is read at a glance from a picture: one lane per client, each
operation a bar from its call to its return. The page shares the shell and
styles of `html.py` (no network, no script: inline CSS and SVG).

Time runs left to right with every call and return one step (Porcupine's
compressed time: calls before returns at the same instant, so touching
intervals overlap, as they are concurrent); the real times are on the axis,
in each bar's tooltip and in the table.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from html import escape

from stmcheck.models.specs import UNKNOWN, show

from .check import printable
from .html import page

LIMIT = 300
"""Operations drawn in full. Past this the bars are too thin to read, so only
the part that matters is drawn (`drawn`), and the page says what was left out."""
CONTEXT = 30
"""How many of the last operations of the longest linearizable prefix a cut history keeps."""
STATE_CHARS = 5000
"""The model state printed at most (a big key-value state would bury the page)."""

_TOP, _TRACK, _BAR, _AXIS, _TAIL = 26, 26, 20, 30, 40
_CHAR = 7.3        # px a character of 12 px monospace
_WIDTH = 1100      # px the whole drawing aims to fill (a 1200 px window without scrolling)
_MIN_STEP, _MAX_STEP = 12, 90


def _esc(text) -> str:
    """HTML-escaped, lone surrogates written as escapes: the page is UTF-8 and must not fail to encode."""
    return escape(printable(str(text)))


def lin_page(path: str, history, result) -> str:
    """The whole page: verdict, lanes, operations table."""
    part = failing_part(history, result)
    shown, note = drawn(history, result, part)
    numbers = order_numbers(result)
    sections = [header(path, history), verdict(result)]
    if note:
        sections.append(f'<p class="note">{_esc(note)}</p>')
    sections += [legend(history, result, shown, numbers), lanes_svg(history, result, shown, numbers)]
    if result.holds is False:     # the details after the picture they explain
        sections += [_state(history, result), _prefix_list(history, result)]
    sections.append(ops_table(history, result, shown, numbers))
    return page(f"stmcheck check {printable(path)}", sections)


# -- what to draw ---------------------------------------------------------------------------------
def failing_part(history, result) -> set | None:
    """The operations of the part that failed, when the search split the history (kv per key...):
    only they can explain the violation, so only they are drawn."""
    if result.holds is not False or result.partition is None:
        return None
    spec = history.spec
    return {o.index for o in history.operations if spec.partition(o.op, o.args) == result.partition}


def order_numbers(result) -> dict:
    """Operation index -> its place (from 1) in the linearization, or in the longest prefix found."""
    order = result.order if result.holds else result.prefix if result.holds is False else None
    return {i: k for k, i in enumerate(order or (), 1)}


def drawn(history, result, part) -> tuple[list[int], str]:
    """The indices of the operations to draw, and a sentence saying what was left out ('' if nothing).

    A violated part is drawn alone (the other parts cannot explain it); a history too big to read
    is cut: around the violation, or to the operations called first."""
    ops, n = history.operations, len(history.operations)
    pool = sorted(part) if part is not None else list(range(n))
    if len(pool) > LIMIT and result.holds is False:
        chosen = around_violation(history, result, pool)
        what = (f"the {len(chosen)} the violation rests on: operation {result.unplaceable}, the operations "
                f"{_on(result, part)}that overlap its interval and the last of the longest linearizable prefix")
    elif len(pool) > LIMIT:
        chosen = sorted(sorted(pool, key=lambda i: (ops[i].call, i))[:LIMIT])
        what = f"the {LIMIT} called first"
    elif part is not None:
        chosen, what = pool, f"the {len(pool)} operations {_on(result, part)}(the part that fails)"
    else:
        return pool, ""
    return chosen, (f"The history has {n} operations; drawn are {what}. Left out: {n - len(chosen)} "
                    f"(the text report and --json cover them all).")


def _on(result, part) -> str:
    return f"on {show(result.partition)} " if part is not None else ""


def around_violation(history, result, pool) -> list[int]:
    """The unplaceable operation, the last CONTEXT of the longest prefix, and the operations
    overlapping its interval, nearest first, LIMIT in all."""
    ops = history.operations
    u = ops[result.unplaceable]
    end = math.inf if u.ret is None else u.ret
    overlapping = [i for i in pool if i != u.index and ops[i].call <= end
                   and (ops[i].ret is None or ops[i].ret >= u.call)]
    overlapping.sort(key=lambda i: (abs(ops[i].call - u.call), i))
    recent = (result.prefix or [])[-CONTEXT:]
    return sorted(list(dict.fromkeys([u.index] + recent[::-1] + overlapping))[:LIMIT])


# -- the verdict ----------------------------------------------------------------------------------
def header(path: str, history) -> str:
    c = history.counts()
    return (f"<p><b>{_esc(path)}</b>: {c['operations']} operations ({c['completed']} completed, "
            f"{c['pending']} pending) by {c['clients']} client{'s' if c['clients'] != 1 else ''}, "
            f"model <b>{_esc(history.model)}</b> ({_esc(c['format'])})</p>")


def verdict(result) -> str:
    """The verdict line, with the explanation and the failing part when violated."""
    parts = f", {result.partitions} independent parts" if result.partitions > 1 else ""
    if result.holds:
        head = (f'<p>linearizability: <b class="verdict-holds">holds</b>{parts}. The bars are numbered in '
                f"linearization order; an unnumbered one is a pending operation that need not take effect.</p>")
        return head + _order_line(result.order)
    if result.holds is None:
        return (f'<p>linearizability: <b class="verdict-unknown">inconclusive</b>{parts}: '
                f"{_esc(result.explanation)}</p>")
    out = [f'<p>linearizability: <b class="verdict-violated">violated</b>{parts}</p>',
           f'<p class="explanation">{_esc(result.explanation)}</p>']
    if result.partition is not None:
        out.append(f"<p>partition: <code>{_esc(show(result.partition))}</code> (the part of the history "
                   f"that fails; each part is checked alone)</p>")
    return "\n".join(out)


def _order_line(order, first: int = 50) -> str:
    """The start of the linearization as operation indices (the numbers on the bars give the rest)."""
    if not order:
        return ""
    shown = " ".join(f"#{i}" for i in order[:first]) + (f" ... ({len(order)} in all)" if len(order) > first else "")
    return f"<p>linearization: <code>{_esc(shown)}</code></p>"


def _state(history, result) -> str:
    """The model state after the longest prefix: what the unplaceable operation ran into."""
    text = json.dumps(history.spec.state_json(result.state), ensure_ascii=False, indent=1, default=str)
    if len(text) > STATE_CHARS:
        text = text[:STATE_CHARS] + f"\n... ({len(text)} characters in all; --json has it whole)"
    return f'<p>state after the longest linearizable prefix found:</p><pre class="state">{_esc(text)}</pre>'


def _prefix_list(history, result) -> str:
    """The longest prefix found, in its linearization order (its last CONTEXT when it is long)."""
    prefix = result.prefix or []
    start = len(prefix) - CONTEXT if len(prefix) > LIMIT else 0
    items = "".join(f"<li>{_esc(_line(history, history.operations[i]))}</li>" for i in prefix[start:])
    cut = f", the last {len(prefix) - start}" if start else ""
    u = history.operations[result.unplaceable]
    return (f"<p>longest linearizable prefix found ({len(prefix)} operations{cut}), in order:</p>"
            f'<ol class="prefix{" long" if len(prefix) - start > 12 else ""}" start="{start + 1}">{items}</ol>'
            f'<p>cannot be placed: <span class="unplaceable">{_esc(_line(history, u))}</span></p>')


def _line(history, o) -> str:
    """An operation as the text report prints it (index, client, interval, text)."""
    ret = "pending" if o.ret is None else _time(o.ret)
    return f"#{o.index} client {show(o.client)} [{_time(o.call)}, {ret}] {history.describe(o)}"


def _time(t) -> str:
    """A time as given: an int whole (a nanosecond clock must not turn into 1.7e+18), a float short."""
    return str(t) if isinstance(t, int) else f"{t:g}"


def legend(history, result, shown, numbers) -> str:
    """The colours in use on this page, and what they mean here."""
    ops = [history.operations[i] for i in shown]
    plain = [o for o in ops if o.index not in numbers and not (result.holds is False and o.index == result.unplaceable)]
    keys = []
    if numbers:
        keys.append(("linearized", "numbered: " + ("in linearization order" if result.holds
                                                    else "in the longest linearizable prefix found")))
    if result.holds is False:
        keys.append(("unplaceable", "cannot be placed"))
    if plain:
        keys.append(("other", "not linearized" if result.holds else "not in the prefix" if result.holds is False
                     else "operation (no verdict)"))
    if any(o.ret is None for o in ops):
        keys.append(("pending", "pending (never returned)"))
    spans = " ".join(f'<span class="key {k}"></span>{_esc(text)}' for k, text in keys)
    return f'<p class="legend">{spans}</p>'


# -- the lanes ------------------------------------------------------------------------------------
@dataclass
class Canvas:
    """What every bar needs: the verdict's marks and the x axis (a step per event, `right` the
    edge pending bars run to)."""

    history: object
    result: object
    numbers: dict
    rank: dict
    step: int
    left: int
    right: int

    def x(self, index: int, kind: str) -> int:
        """The left edge of the event's step: a bar runs from its call's to its return's right edge."""
        return self.left + self.rank[index, kind] * self.step

    def start(self, o) -> int:
        return self.x(o.index, "call") + 1

    def end(self, o) -> int:
        return self.right - 4 if o.ret is None else self.x(o.index, "ret") + self.step - 1


def event_ranks(ops) -> dict:
    """(index, 'call' | 'ret') -> its step on the x axis: events sorted by time, calls first on a tie."""
    events = [(o.call, 0, o.index) for o in ops] + [(o.ret, 1, o.index) for o in ops if o.ret is not None]
    return {(i, "ret" if kind else "call"): k for k, (_, kind, i) in enumerate(sorted(events))}


def tracks(ops, rank) -> list[list]:
    """One client's operations on as few tracks as can hold them: a client is a label and may
    call again before an earlier call returned, so its bars can overlap."""
    rows: list[list] = []
    for o in sorted(ops, key=lambda o: rank[o.index, "call"]):
        for row in rows:
            last = row[-1]
            if last.ret is not None and rank[last.index, "ret"] < rank[o.index, "call"]:
                row.append(o)
                break
        else:
            rows.append([o])
    return rows


def lanes(history, shown) -> list[tuple]:
    """(client, its drawn operations) per client, in order of first appearance."""
    by_client: dict = {}
    for i in shown:
        o = history.operations[i]
        by_client.setdefault(o.client, []).append(o)
    return list(by_client.items())


def lanes_svg(history, result, shown, numbers) -> str:
    """One lane per client, a bar per drawn operation, the axis of real times below."""
    ops = [history.operations[i] for i in shown]
    rank = event_ranks(ops)
    steps = max(len(rank), 1)
    clients = [(client, tracks(group, rank)) for client, group in lanes(history, shown)]
    left = max([90] + [int(_CHAR * len(f"client {show(c)}")) + 16 for c, _ in clients])
    step = max(_MIN_STEP, min(_MAX_STEP, (_WIDTH - left - _TAIL - 10) // steps))
    c = Canvas(history, result, numbers, rank, step, left, left + steps * step + _TAIL)
    width, height = c.right + 10, _TOP + sum(len(t) for _, t in clients) * _TRACK + _AXIS
    out = [f'<div class="lanes"><svg xmlns="http://www.w3.org/2000/svg" class="lanes" width="{width}" '
           f'height="{height}" viewBox="0 0 {width} {height}">']
    y = _TOP
    for n, (client, rows) in enumerate(clients):
        out.append(lane(c, client, rows, y, n % 2))
        y += len(rows) * _TRACK
    out += [_marker(c, y), _axis(c, ops, y), "</svg></div>"]
    return "\n".join(out)


def lane(c: Canvas, client, rows, y: int, shaded: bool) -> str:
    """A client's lane: its name, a band, its tracks of bars (a label may run on to the next bar)."""
    name = _esc(show(client))
    out = [f'<g class="lane" data-client="{name}">',
           f'<rect class="lane-bg" x="0" y="{y}" width="{c.right + 10}" height="{len(rows) * _TRACK}" '
           f'fill="{"#f7f7f7" if shaded else "#ffffff"}"/>',
           f'<text class="client" x="6" y="{y + 17}" font-weight="bold">client {name}</text>']
    for row in rows:
        limits = [c.start(o) - 4 for o in row[1:]] + [c.right + 6]
        out += [bar(c, o, y, limit) for o, limit in zip(row, limits)]
        y += _TRACK
    out.append("</g>")
    return "\n".join(out)


def bar(c: Canvas, o, y: int, limit: int) -> str:
    """One operation: a bar from its call to its return (to the right edge when pending), its
    place in the order in a badge, its text cut at `limit` (the next bar; whole in the tooltip)."""
    x0, x1 = c.start(o), c.end(o)
    unplaceable = c.result.holds is False and o.index == c.result.unplaceable
    kind = "unplaceable" if unplaceable else "linearized" if o.index in c.numbers else "other"
    cls = f"op {kind}" + (" pending" if o.ret is None else "")
    tip = _line(c.history, o) + (" (cannot be placed)" if unplaceable else
                                 f" (linearized {c.numbers[o.index]})" if o.index in c.numbers else "")
    out = [f'<g class="{cls}" data-index="{o.index}"><title>{_esc(tip)}</title>',
           f'<rect x="{x0}" y="{y + 3}" width="{max(x1 - x0, 4)}" height="{_BAR}" rx="3"/>']
    text_x = x0 + 4
    if o.index in c.numbers:
        label = str(c.numbers[o.index])
        out.append(f'<text class="order" x="{text_x}" y="{y + 17}" font-weight="bold">{label}</text>')
        text_x += int(_CHAR * len(label)) + 6
    text = _fit(c.history.describe(o), max(x1, limit) - text_x - 4)
    if text:
        out.append(f'<text class="label" x="{text_x}" y="{y + 17}">{_esc(text)}</text>')
    out.append("</g>")
    return "".join(out)


def _fit(text: str, width: float) -> str:
    """`text` cut to `width` px (with an ellipsis), or '' when not even two characters fit."""
    chars = int(width / _CHAR)
    if len(text) <= chars:
        return text
    return text[:chars - 1] + "…" if chars >= 2 else ""


def _marker(c: Canvas, bottom: int) -> str:
    """A line at the unplaceable operation's return: it must have taken effect by then."""
    key = (c.result.unplaceable, "ret")
    if c.result.holds is not False or key not in c.rank:
        return ""
    x = c.x(*key) + c.step - 1
    return (f'<g class="marker"><line x1="{x}" y1="{_TOP - 6}" x2="{x}" y2="{bottom}" stroke="#b00020" '
            f'stroke-dasharray="4 3"/><text x="{x}" y="{_TOP - 10}" text-anchor="end" fill="#b00020">'
            f"#{c.result.unplaceable} returns</text></g>")


def _axis(c: Canvas, ops, y: int) -> str:
    """The real time of every few events, under the lanes (events are evenly spaced, times not)."""
    times = {}
    for o in ops:
        times[c.rank[o.index, "call"]] = o.call
        if o.ret is not None:
            times[c.rank[o.index, "ret"]] = o.ret
    every = max(1, math.ceil(70 / c.step))
    out = [f'<g class="axis"><line x1="{c.left}" y1="{y + 2}" x2="{c.left + len(times) * c.step}" '
           f'y2="{y + 2}" stroke="#888"/>']
    for k in range(0, len(times), every):
        x = c.left + k * c.step + c.step // 2
        out.append(f'<line x1="{x}" y1="{y + 2}" x2="{x}" y2="{y + 7}" stroke="#888"/>'
                   f'<text x="{x}" y="{y + 20}" text-anchor="middle" fill="#666">{_esc(_time(times[k]))}</text>')
    out.append(f'<text x="6" y="{y + 20}" fill="#666">time</text></g>')
    return "".join(out)


# -- the table ------------------------------------------------------------------------------------
def ops_table(history, result, shown, numbers) -> str:
    """The drawn operations as rows, the unplaceable one's highlighted."""
    out = ['<table class="history ops"><tr><th>#</th><th>client</th><th>call</th><th>return</th>'
           '<th>operation</th><th>result</th><th>order</th></tr>']
    for i in shown:
        o = history.operations[i]
        result_text = "pending" if o.ret is None else "?" if o.result is UNKNOWN else show(o.result)
        call = f"{o.op}({', '.join(show(a) for a in o.args)})"
        attr = ' class="unplaceable"' if result.holds is False and i == result.unplaceable else ""
        out.append(f"<tr{attr}><td>{i}</td><td>{_esc(show(o.client))}</td><td>{_time(o.call)}</td>"
                   f"<td>{'' if o.ret is None else _time(o.ret)}</td><td>{_esc(call)}</td>"
                   f"<td>{_esc(result_text)}</td><td>{numbers.get(i, '')}</td></tr>")
    out.append("</table>")
    return "\n".join(out)
