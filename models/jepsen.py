"""Imports: Jepsen text logs and EDN histories (knossos style and Porcupine's kv lines).

Users already have histories from Jepsen and its checkers; these readers turn
them into `OpHistory` so stmcheck can judge them. Two families:

- **Jepsen logs** (`INFO  jepsen.util - 3  :invoke  :cas  [3 0]`), as in
  Porcupine's `etcd_*.log` test data. The log does not name its model
  (`--model cas-register` for those). Semantics follow Porcupine's own reading
  of these logs, so verdicts match its tests: `:ok` completes an operation;
  `:fail` on a `cas` is a completed cas that returned false (the comparison
  failed); `:fail` on a read (`:timed-out`) returned with an unknown result;
  `:info` (and a call never completed) leaves the operation pending: it may or
  may not have taken effect. Should a log reuse the number of a process whose
  operation is pending, its later operations count as a new client (`"3.1"`),
  as Jepsen itself would number them.
- A process that invokes again while an operation of its own is still open
  (a request that timed out, retried) is no error: clients are labels (the
  contract, section 4). The earlier operation stays open; a completion
  completes the process's latest open operation of the same function, and
  what is never completed stays pending. The new operation counts as a new
  client, as after `:info`.
- **EDN histories**: maps `{:process 0, :type :invoke, :f :write, :value 3}`,
  one per line or inside a vector, as knossos and Jepsen write them. Here
  `:fail` means the operation did not happen (it is dropped), `:info` means
  unknown (pending). Maps with a `:key` are key-value operations in
  Porcupine's kv format (`get`/`put`/`append`, model `kv` unless `--model`
  says otherwise). Arguments: `[key]` plus the value for two-argument ops;
  otherwise none for zero-argument ops, `[value]` for one-argument ops and the
  value vector spread for more. Results: the completion's `:value` for
  zero-argument ops and `get`; `true` for a completed `cas`/`transfer`; a
  boolean completion value as is; otherwise null.

Times are the line numbers of the events, so an error or a report can point
into the file. Numbers are read as the JSON readers read them: no integer
beyond Python's limit on digits, no float beyond a double (`1e400` would be
infinity, equal to any other).
"""

from __future__ import annotations

import math
import re
import sys

from .history import HistoryError
from .ophistory import MAX_NESTING, OpHistory, build_history, resolve_spec
from .specs import UNKNOWN, Spec



# --- a small EDN reader ---------------------------------------------------------

class Keyword(str):
    """An EDN keyword (`:read`); a str subclass so comparisons with names are easy."""

    __slots__ = ()

    def __repr__(self) -> str:
        return ":" + str.__str__(self)


class Symbol(str):
    __slots__ = ()


class EdnError(ValueError):
    """Text that cannot be read; `syntax` is False when it is valid EDN stmcheck does not take
    (a number out of range, nesting too deep), so the message does not call it invalid."""

    def __init__(self, message: str, line: int, syntax: bool = True):
        super().__init__(message)
        self.line = line
        self.syntax = syntax

    def describe(self) -> str:
        return f"not valid EDN: {self}" if self.syntax else str(self)


def _integer(text: str, line: int) -> int:
    try:
        return int(text)
    except ValueError:  # Python's limit on the digits it converts
        raise EdnError(f"an integer with more than {sys.get_int_max_str_digits()} digits, the most stmcheck "
                       "reads", line, syntax=False) from None


def _float(text: str, line: int) -> float:
    value = float(text)
    if math.isinf(value) or (value == 0.0 and re.search(r"[1-9]", re.split(r"[eE]", text)[0])):
        shown = text if len(text) <= 30 else text[:27] + "..."
        raise EdnError(f"the number {shown} is out of the range of a double (numbers are compared as doubles)",
                       line, syntax=False)
    return value


_TOKEN = re.compile(r'''
    (?P<ws>[\s,]+|;[^\n]*)
  | (?P<str>"(?:[^"\\]|\\.)*")
  | (?P<open>\#\{|[\[{(])
  | (?P<close>[\]})])
  | (?P<disc>\#_)
  | (?P<tag>\#[A-Za-z][^\s,\[\](){}"]*)
  | (?P<atom>[^\s,\[\](){}";]+)
  | (?P<bad>.)
''', re.X | re.S)
_INT = re.compile(r"[+-]?[0-9]+N?\Z")
_FLOAT = re.compile(r"[+-]?[0-9]+(\.[0-9]*)?([eE][+-]?[0-9]+)?M?\Z")
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "b": "\b", "f": "\f", "/": "/"}
_CLOSERS = {"[": "]", "(": ")", "{": "}", "#{": "}"}


def _unescape(body: str) -> str:
    if "\\" not in body:
        return body
    return re.sub(r'\\(u[0-9a-fA-F]{4}|.)',
                  lambda m: chr(int(m.group(1)[1:], 16)) if m.group(1)[0] == "u" and len(m.group(1)) == 5
                  else _ESCAPES.get(m.group(1), m.group(1)), body)


def _atom(text: str, line: int):
    if text == "nil":
        return None
    if text == "true":
        return True
    if text == "false":
        return False
    if text[0] == ":":
        if len(text) == 1:
            raise EdnError("a lone ':' is not a keyword", line)
        return Keyword(text[1:])
    if _INT.match(text):
        return _integer(text.rstrip("N"), line)
    if _FLOAT.match(text):
        return _float(text.rstrip("M"), line)
    if text[0] == "\\":
        return text[1:]
    if text[0].isdigit() or (text[0] in "+-" and len(text) > 1 and text[1].isdigit()):
        raise EdnError(f"bad number {text!r}", line)
    return Symbol(text)


def _close(kind: str, items: list, line: int):
    if kind == "{":
        if len(items) % 2:
            raise EdnError("a map needs an even number of forms", line)
        out = {}
        for k, v in zip(items[::2], items[1::2]):
            try:
                out[str(k) if isinstance(k, Keyword) else k] = v
            except TypeError:
                raise EdnError("unhashable map key", line) from None
        return out
    if kind == "#{":
        try:
            return frozenset(items)
        except TypeError:
            raise EdnError("unhashable set element", line) from None
    return items


def read_edn(text: str):
    """Parse all top-level EDN forms; returns [(form, line, element_lines)].

    Maps become dicts (keyword keys as plain strings), vectors and lists
    lists, sets frozensets, keywords `Keyword`. Tags (`#inst`) are dropped
    and their value kept; `#_` discards the next form. `element_lines` gives,
    for a vector or list, the line where each element starts.
    """
    forms = []
    stack: list[tuple[str, list, int, list]] = []
    line = 1
    discard = 0
    pending_tag = False
    for m in _TOKEN.finditer(text):
        kind = m.lastgroup
        tok = m.group()
        if kind == "ws":
            line += tok.count("\n")
            continue
        if kind == "bad":
            raise EdnError(f"unexpected character {tok!r}", line)
        if kind == "disc":
            discard += 1
            continue
        if kind == "tag":
            pending_tag = True
            continue
        if kind == "open":
            if len(stack) > MAX_NESTING + 1:  # a history vector, an operation map, then its values
                raise EdnError(f"nested more than {MAX_NESTING} deep", line, syntax=False)
            stack.append((tok, [], line, []))
            continue
        lines = None
        if kind == "close":
            if not stack:
                raise EdnError(f"unbalanced {tok!r}", line)
            opener, items, start, lines = stack.pop()
            if _CLOSERS[opener] != tok:
                raise EdnError(f"{opener!r} opened on line {start} is closed by {tok!r}", line)
            value, at = _close(opener, items, line), start
        elif kind == "str":
            value, at = _unescape(tok[1:-1]), line
            line += tok.count("\n")
        else:
            value, at = _atom(tok, line), line
        pending_tag = False
        if discard:
            discard -= 1
            continue
        if stack:
            stack[-1][1].append(value)
            stack[-1][3].append(at)
        else:
            forms.append((value, at, lines))
    if stack:
        raise EdnError(f"{stack[-1][0]!r} opened on line {stack[-1][2]} is never closed", line)
    if pending_tag or discard:
        raise EdnError("the text ends inside a form", line)
    return forms


_FLAT_ENTRY = re.compile(r'[\s,]*:([A-Za-z][\w\-?!*.]*)\s+(nil|true|false|[+-]?\d+|:[^\s,{}\[\]()"]+'
                         r'|"(?:[^"\\]|\\.)*"|\[[^\[\]{}()"#]*\])')


def _fast_atom(text: str, line: int):
    if text[0] == '"':
        return _unescape(text[1:-1])
    if text[0] == "[":
        return [_atom(t, line) for t in text[1:-1].replace(",", " ").split()]
    return _atom(text, line)


def read_flat_lines(text: str):
    """The common case fast: one flat map per line (Jepsen's and Porcupine's logs).

    Returns [(map, line)] or None when some line is not a flat map of simple
    values, in which case the caller uses the general reader.
    """
    entries = []
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith(";"):
            continue
        if not (line.startswith("{") and line.endswith("}")):
            return None
        body = line[1:-1].rstrip(" ,\t")
        pos, end, entry = 0, len(body), {}
        while pos < end:
            m = _FLAT_ENTRY.match(body, pos)
            if m is None:
                return None
            entry[m.group(1)] = _fast_atom(m.group(2), lineno)
            pos = m.end()
        entries.append((entry, lineno))
    return entries


def plain(value):
    """EDN values as JSON-like Python values (keywords and symbols become strings)."""
    if isinstance(value, (Keyword, Symbol)):
        return str.__str__(value)
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, frozenset):
        return frozenset(plain(v) for v in value)
    return value


# --- Jepsen text logs -------------------------------------------------------------

_JEPSEN_LINE = re.compile(r"^(?:.*?\s)?INFO\s+(?:\[[^\]]*\]\s+)?jepsen\.util\s*[-:]\s+(\S+)\s+:(\S+)\s+:(\S+)"
                          r"(?:\s+(.*?))?\s*$")


_PAIR = re.compile(r"\[\s*([+-]?[0-9]+)[\s,]+([+-]?[0-9]+)\s*\]")


def _parse_value(text: str | None, line: int):
    if text is None or text == "" or text == "nil":
        return None
    if text.isascii() and text.isdigit():
        return _integer(text, line)
    m = _PAIR.fullmatch(text)
    if m:
        return [_integer(m.group(1), line), _integer(m.group(2), line)]
    forms = read_edn(text)
    if len(forms) != 1:
        raise EdnError(f"expected one value, found {text!r}", line)
    return forms[0][0]


def parse_jepsen_log(text: str, path: str, model: str | None) -> OpHistory:
    spec = resolve_spec(model, path, "a Jepsen log")
    open_calls: dict = {}
    crashed: dict = {}
    rows: list = []
    for lineno, raw in enumerate(text.splitlines(), 1):
        if "jepsen.util" not in raw:
            continue
        m = _JEPSEN_LINE.match(raw)
        if m is None:
            continue
        proc_text, typ, f, value_text = m.groups()
        if not re.fullmatch(r"[0-9]+", proc_text):
            continue  # nemesis and other non-client processes
        try:
            proc = _integer(proc_text, lineno)
            value = _parse_value(value_text, lineno)
        except EdnError as exc:
            raise HistoryError(f"line {lineno}: cannot read the value: {exc}", where=path) from None
        if typ == "invoke":
            op = _op_name(spec, f, lineno, path)
            args = _args(spec, op, value, None, lineno, path)
            _invoke(open_calls, crashed, proc, rows, [None, op, args, lineno, None, None, lineno])
            continue
        if typ not in ("ok", "fail", "info"):
            raise HistoryError(f"line {lineno}: unknown event type :{typ}", where=path)
        row = rows[_complete(open_calls, rows, proc, _op_name(spec, f, lineno, path), f, lineno, path)]
        if typ == "ok":
            row[4], row[5] = lineno, _result(spec, row[1], value, False)
        elif typ == "fail" and row[1] == "cas":
            row[4], row[5] = lineno, False
        elif typ == "fail" and spec.ops.get(row[1]) == 0:
            row[4], row[5] = lineno, UNKNOWN  # a failed read: returned, result unknown
        else:  # :info, a failed write: pending, it may or may not have happened
            crashed[proc] = crashed.get(proc, 0) + 1
    if not rows:
        raise HistoryError("no Jepsen operations found (expected lines like "
                           "'INFO  jepsen.util - 0  :invoke  :read  nil')", where=path)
    return build_history(spec, None, [tuple(r) for r in rows], "jepsen", where=path, label="line")


def _client(proc, crashed: dict):
    """A process whose operation ended in :info may still have it in flight: Jepsen gives it a
    new process number; if a log reuses the number, the next operations are a new client."""
    gen = crashed.get(proc, 0)
    return proc if gen == 0 else f"{proc}.{gen}"


def _invoke(open_calls: dict, crashed: dict, proc, rows: list, row: list) -> None:
    """Open an operation of `proc`. One still open stays open (a retry while a request is
    outstanding); the new one counts as a new client, as after :info."""
    calls = open_calls.setdefault(proc, [])
    if calls:
        crashed[proc] = crashed.get(proc, 0) + 1
    row[0] = _client(proc, crashed)
    calls.append(len(rows))
    rows.append(row)


def _complete(open_calls: dict, rows: list, proc, op: str, f: str, line: int, path: str) -> int:
    """The row a completion of `op` by `proc` completes: its latest open operation of that function."""
    calls = open_calls.get(proc)
    if not calls:
        raise HistoryError(f"line {line}: process {proc} completes :{f} but has no operation in progress",
                           where=path)
    for k in range(len(calls) - 1, -1, -1):
        if rows[calls[k]][1] == op:
            return calls.pop(k)
    last = rows[calls[-1]]
    raise HistoryError(f"line {line}: process {proc} completes :{f} but its call on line {last[6]} "
                       f"was :{last[1]}", where=path)


def _op_name(spec: Spec, f: str, line: int, path: str) -> str:
    if f in spec.ops:
        return f
    for a, b in (("read", "get"), ("get", "read")):
        if f == a and b in spec.ops:
            return b
    raise HistoryError(f"line {line}: model {spec.name} has no operation {f!r} "
                       f"(it has: {', '.join(sorted(spec.ops))})", where=path)


def _args(spec: Spec, op: str, value, key, line: int, path: str) -> list:
    arity = spec.ops[op]
    value = plain(value)
    if key is not None:
        return [plain(key)] + ([value] if arity >= 2 else [])
    if arity == 0:
        return []
    if arity == 1:
        return [value]
    if isinstance(value, list) and len(value) == arity:
        return value
    raise HistoryError(f"line {line}: {op} takes {arity} arguments, the value is {value!r}", where=path)


def _result(spec: Spec, op: str, value, keyed: bool):
    value = plain(value)
    if spec.ops[op] == 0 or (keyed and spec.ops[op] == 1):
        return value
    if op in ("cas", "transfer"):
        return True
    if isinstance(value, bool):
        return value
    return None


# --- EDN histories ------------------------------------------------------------------

def parse_edn_history(text: str, path: str, model: str | None, kv: bool = False) -> OpHistory:
    try:
        entries = read_flat_lines(text)
        if entries is None:
            forms = read_edn(text)
            if len(forms) == 1 and isinstance(forms[0][0], list):
                entries = list(zip(forms[0][0], forms[0][2]))
            else:
                entries = [(form, line) for form, line, _ in forms]
    except EdnError as exc:
        raise HistoryError(f"line {exc.line}: {exc.describe()}", where=path) from None
    for entry, line in entries:
        if not isinstance(entry, dict):
            raise HistoryError(f"line {line}: expected an operation map like "
                               "{:process 0, :type :invoke, :f :read, :value nil}", where=path)
    keyed = bool(entries) and all("key" in e for e, _ in entries)
    if model is None and (kv or keyed):
        model = "kv"
    spec = resolve_spec(model, path, "an EDN history")
    open_calls: dict = {}
    crashed: dict = {}
    rows: list = []
    dropped: set = set()
    for entry, line in entries:
        proc, typ, f = entry.get("process"), entry.get("type"), entry.get("f")
        if isinstance(proc, Keyword):
            continue  # :nemesis
        if proc is None or typ is None or f is None:
            missing = [k for k in ("process", "type", "f") if entry.get(k) is None]
            raise HistoryError(f"line {line}: the operation map has no :{missing[0]}", where=path)
        if isinstance(proc, bool) or not isinstance(proc, (int, str)):
            raise HistoryError(f"line {line}: :process must be an integer, got {proc!r}", where=path)
        typ, f = plain(typ), plain(f)
        op = _op_name(spec, f, line, path)
        if typ == "invoke":
            args = _args(spec, op, entry.get("value"), entry.get("key") if keyed else None, line, path)
            _invoke(open_calls, crashed, proc, rows, [None, op, args, line, None, None, line])
            continue
        if typ not in ("ok", "fail", "info"):
            raise HistoryError(f"line {line}: unknown :type :{typ}", where=path)
        index = _complete(open_calls, rows, proc, op, f, line, path)
        row = rows[index]
        if typ == "ok":
            row[4], row[5] = line, _result(spec, op, entry.get("value"), keyed)
        elif typ == "fail":
            dropped.add(index)  # knossos: a failed operation did not happen
        else:
            crashed[proc] = crashed.get(proc, 0) + 1
    kept = [tuple(r) for i, r in enumerate(rows) if i not in dropped]
    if not kept:
        raise HistoryError("no operations found in the EDN history", where=path)
    return build_history(spec, None, kept, "porcupine-kv" if keyed else "edn", where=path, label="line")


__all__ = ["parse_jepsen_log", "parse_edn_history", "read_edn", "read_flat_lines", "Keyword", "UNKNOWN"]
