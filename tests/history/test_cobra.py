"""Cobra's per-client logs (models/cobra.py): small hand-written folders in CobraBench's
binary format (one `T<thread>.log` per client; entries `S txn`, `W write_id key value`,
`R writer_txn write_id key value`, `C txn`, big-endian 64-bit), judged without real time,
and malformed ones."""

from __future__ import annotations

import json
import struct

import pytest
from click.testing import CliRunner

from stmcheck.checker.api import UsageError, check
from stmcheck.checker.cli import main
from stmcheck.models.cobra import INIT_TXN, NULL_TXN, DELETE_ID, read_cobra
from stmcheck.models.txformats import read_transactions
from stmcheck.models.history import HistoryError

X, Y = 0x1111, 0x2222


def S(t):
    return b"S" + struct.pack(">Q", t)


def C(t):
    return b"C" + struct.pack(">Q", t)


def W(wid, key, value=None):
    return b"W" + struct.pack(">QQQ", wid, key, wid * 7 if value is None else value)


def R(writer, wid, key, value=None):
    return b"R" + struct.pack(">QQQQ", writer, wid, key, wid * 7 if value is None else value)


def R0(key):
    """A read of the initial value (loaded before the run, not written by a logged transaction)."""
    return R(INIT_TXN, INIT_TXN, key, 5)


def folder(tmp_path, **clients) -> str:
    for name, entries in clients.items():
        (tmp_path / f"{name}.log").write_bytes(b"".join(entries))
    return str(tmp_path)


def run(*args):
    return CliRunner().invoke(main, ["check", *args], prog_name="stmcheck")


def test_serializable(tmp_path):
    path = folder(tmp_path, T1=[S(1), W(11, X), C(1), S(3), R(2, 12, Y), C(3)],
                  T2=[S(2), R(1, 11, X), W(12, Y), C(2)])
    history = read_cobra(path)
    assert history.source == "cobra" and not history.real_time
    assert [t.thread for t in history.txns] == ["T1", "T2", "T1"]     # round-robin, each client's order kept
    result = run(path, "--json")
    doc = json.loads(result.stdout)
    assert result.exit_code == 0, result.output
    assert [(r["criterion"], r["holds"]) for r in doc["results"]] == [
        ("serializability", True), ("session-serializability", True)]


def test_write_skew_is_a_cycle(tmp_path):
    path = folder(tmp_path, T1=[S(1), R0(X), R0(Y), W(11, X), C(1)],
                  T2=[S(2), R0(X), R0(Y), W(12, Y), C(2)])
    result = run(path, "--format", "cobra", "--json")
    assert result.exit_code == 1
    serial, session = json.loads(result.stdout)["results"]
    assert serial["anomaly"] == "G2-item" and [e["kind"] for e in serial["cycle"]] == ["rw", "rw"]
    assert session["holds"] is False


def test_only_the_clients_own_order_constrains(tmp_path):
    # T1 writes x, then (same client) reads the initial x: serializable (3 before 1), but not in the
    # client's own order. Across clients nothing is ordered: 2 may read x before 1 wrote it.
    path = folder(tmp_path, T1=[S(1), W(11, X), C(1), S(3), R0(X), C(3)], T2=[S(2), R0(X), C(2)])
    (serial, session) = check(read_cobra(path))
    assert serial.holds is True and session.holds is False


def test_real_time_criteria_are_refused(tmp_path):
    path = folder(tmp_path, T1=[S(1), W(11, X), C(1)])
    result = run(path, "-c", "strict-serializability")
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr == (f"stmcheck: error: {path}: strict-serializability needs the real-time order of "
                             "transactions, which Cobra's logs do not record (only each client's own order); check "
                             "serializability or session-serializability\n")
    with pytest.raises(UsageError):
        check(read_cobra(path), ["opacity"])


def test_a_read_of_another_value_than_written_is_thin_air(tmp_path):
    path = folder(tmp_path, T1=[S(1), W(11, X), C(1)], T2=[S(2), R(1, 11, X, value=999), C(2)])
    (serial, _) = check(read_cobra(path))
    assert serial.holds is False and serial.anomaly == "thin-air"


def test_deletes_and_missing_keys_read_null(tmp_path):
    path = folder(tmp_path, T1=[S(1), W(11, X), C(1), S(3), W(DELETE_ID, X, 0), C(3)],
                  T2=[S(2), R(NULL_TXN, NULL_TXN, Y, 0), C(2)], T3=[S(4), R(1, 11, X), C(4), S(5), R(NULL_TXN, NULL_TXN, X, 0), C(5)])
    assert [r.holds for r in check(read_cobra(path))] == [True, True]


def test_recognised_as_a_folder(tmp_path):
    path = folder(tmp_path, T1=[S(1), W(11, X), C(1)])
    (tmp_path / "notes.txt").write_text("ignored")
    assert read_transactions(path).source == "cobra"


MALFORMED = [
    ({"T1": [S(1), W(11, X)[:10]]}, "T1.log: offset 9: the log ends inside W entry (25 bytes, 10 left)"),
    ({"T1": [S(1), b"Z" + bytes(8)]}, "T1.log: offset 9: unknown entry type byte 0x5a"),
    ({"T1": [S(1), W(11, X)]}, "T1.log: offset 0: transaction 1 has no C entry"),
    ({"T1": [W(11, X)]}, "T1.log: offset 0: a W entry outside any transaction"),
    ({"T1": [S(1), S(2)]}, "T1.log: offset 9: transaction 2 begins while 1 (offset 0) has not ended"),
    ({"T1": [S(1), C(2)]}, "T1.log: offset 9: C of transaction 2 inside transaction 1"),
    ({"T1": [S(1), C(1)], "T2": [S(1), C(1)]}, "T2.log: offset 0: transaction 1 also appears in"),
    ({"T1": [S(1), W(11, X), C(1)], "T2": [S(2), R(3, 11, X), C(2)]},
     "T2.log: offset 9: a read names transaction 3 as the writer of write id b, which transaction 1 wrote"),
    ({"T1": []}, "no transactions in any *.log file"),
    ({}, "holds no *.log files"),
]


@pytest.mark.parametrize("clients, message", MALFORMED)
def test_malformed(tmp_path, clients, message):
    path = folder(tmp_path, **clients)
    with pytest.raises(HistoryError) as info:
        read_cobra(path)
    assert message in str(info.value) and str(info.value).startswith(path)
    result = run(path)
    assert result.exit_code == 2 and message in result.stderr and "Traceback" not in result.output


def test_format_cobra_needs_a_folder(tmp_path):
    path = tmp_path / "T1.log"
    path.write_bytes(S(1) + C(1))
    result = run(str(path), "--format", "cobra")
    assert result.exit_code == 2 and "is not a folder" in result.stderr
