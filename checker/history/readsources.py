"""Who could have written what each read returned.

Values need not be unique, so a read's *candidates* are every committed
transaction whose final write to the key has that value, plus the initial
value. A read with one candidate pins a write-read edge; a read with several
is a choice the graph cannot make alone (z3 makes it); a read with none is a
violation by itself, named by what it did see: an aborted or live write
(G1a), an intermediate write (G1b), or nothing anybody wrote.
"""

from __future__ import annotations

from stmcheck.models.history import COMMITTED, WRITE, History, same_value

INIT = "init"  # the candidate "the initial value" (not a transaction)


class ReadIndex:
    """Per key: committed final writers by value, and the dirty writes (for naming G1a/G1b)."""

    def __init__(self, history: History):
        self.history = history
        self.final: dict = {}        # key -> {value: [Txn]}
        self.writers: dict = {}      # key -> [Txn] committed writers (final writes)
        self._dirty = None           # built lazily: only failing histories need it
        for t in history.txns:
            if t.status is not COMMITTED:
                continue
            seen = None
            for kind, key, value, _ in reversed(t.ops):
                if kind is WRITE:
                    if seen is None:
                        seen = set()
                    elif key in seen:
                        continue
                    seen.add(key)
                    by_value = self.final.get(key)
                    if by_value is None:
                        by_value = self.final[key] = {}
                        self.writers[key] = []
                    by_value.setdefault(value, []).append(t)
                    self.writers[key].append(t)

    def count(self, txn, key, value) -> int:
        """How many candidates `candidates` would list (an upper bound by one: `txn` itself may
        be among the writers), without listing them: values repeated by thousands of writers
        would otherwise cost memory quadratic in the history before any bound is checked."""
        by_value = self.final.get(key)
        n = len(by_value.get(value, ())) if by_value is not None else 0
        return n + (1 if same_value(self.history.initial.get(key), value) else 0)

    def candidates(self, txn, key, value) -> list:
        """The possible sources of `txn` reading `key` = `value`: Txns and/or INIT."""
        out = []
        by_value = self.final.get(key)
        if by_value is not None:
            out = [w for w in by_value.get(value, ()) if w is not txn]
        if same_value(self.history.initial.get(key), value):
            out.append(INIT)
        return out

    def explain_missing(self, txn, key, value, index) -> tuple[str, str, list]:
        """(anomaly, explanation, involved txn ids) for a read with no candidate."""
        if self._dirty is None:
            self._dirty = {}
            for t in self.history.txns:
                finals = t.final_writes()
                for kind, k, v, _ in t.ops:
                    if kind is WRITE:
                        if t.status is not COMMITTED:
                            tag = "aborted" if t.status == "aborted" else "live"
                        elif not same_value(finals[k], v):
                            tag = "intermediate"
                        else:
                            continue
                        self._dirty.setdefault((k, v), []).append((t, tag))
        shown = _show(value)
        for t, tag in self._dirty.get((key, value), ()):
            if t is txn:
                continue
            if tag == "intermediate":
                return ("G1b", f"{txn.id} read {key}={shown} (event {index}), a value {t.id} wrote but then "
                        f"overwrote before it committed: an intermediate read.", [t.id, txn.id])
            return ("G1a", f"{txn.id} read {key}={shown} (event {index}), a value written only by {t.id}, "
                    f"which {'aborted' if tag == 'aborted' else 'never committed'}: an aborted read.", [t.id, txn.id])
        for kind, k, v, i in txn.ops:
            if kind is WRITE and k == key and same_value(v, value) and i > index:
                return ("thin-air", f"{txn.id} read {key}={shown} (event {index}) before it wrote that value "
                        f"itself (event {i}), and no one else wrote it.", [txn.id])
        return ("thin-air", f"{txn.id} read {key}={shown} (event {index}), a value no committed transaction "
                f"wrote and not the initial value of {key}.", [txn.id])


def _show(value) -> str:
    from .results import show_value
    return show_value(value)
