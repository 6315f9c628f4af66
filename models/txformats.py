"""Transaction histories in any format stmcheck reads: choosing a reader.

`read_transactions` is the one entry point for `stmcheck check`: it reads
stmcheck.history/1 (formats.py), Jepsen/Elle EDN (elle.py) and folders of
Cobra's logs (cobra.py), by `--format` or by looking at the content. Like every
reader, it raises `HistoryError` only. (`opformats.py` is its counterpart for
operation histories.)
"""

from __future__ import annotations

import os

from .cobra import read_cobra
from .elle import parse_elle
from .formats import decode_text, open_input, read_document_bytes, read_history_from
from .history import HistoryError, History

TX_FORMATS = ("history", "elle", "cobra")
"""Transaction history formats: `history` (stmcheck.history/1), `elle` (Jepsen/Elle EDN,
models/elle.py), `cobra` (a folder of Cobra's per-client logs, models/cobra.py)."""


def read_transactions(path: str, fmt: str | None = None, timeout: float | None = None) -> History:
    """Read a transaction history in any of TX_FORMATS, `fmt` or else recognised from the
    content: a folder is Cobra's logs; a file that opens with an EDN map (`{:type ...`,
    alone or in a vector), list or comment is Elle's; anything else is read as
    stmcheck.history/1."""
    if fmt is not None and fmt not in TX_FORMATS:
        raise HistoryError(f"unknown format {fmt!r} (known: {', '.join(TX_FORMATS)})", where=path)
    if fmt == "cobra" or (fmt is None and os.path.isdir(path)):
        return read_cobra(path)
    with open_input(path, timeout) as handle:
        if fmt is None:
            fmt = "elle" if _looks_like_edn(handle.peek(4096)[:4096]) else "history"
        if fmt == "elle":
            return parse_elle(decode_text(read_document_bytes(handle, path), path), path)
        return read_history_from(handle, path)


def _looks_like_edn(head: bytes) -> bool:
    """An EDN comment or list, or a first map (alone or in a vector) whose first key is a keyword."""
    text = head.lstrip()
    if text[:1] in (b"(", b";"):
        return True
    i = text.find(b"{")
    return i >= 0 and not text[:i].strip(b" \t\r\n,[") and text[i + 1:].lstrip()[:1] == b":"
