"""`stmcheck bench check`: what checking a history costs, against merely parsing it.

For each size, two synthetic histories (checker/bench/synth.py: an opaque lazy STM
on 8 threads, and the same with one stale read planted) are written as JSON
Lines, parsed with the standard `json` module (one `json.loads` per line:
the bare cost of reading the file), then read and checked by stmcheck for
strict serializability and opacity. For each database size, a blind-write
history as a database records it (no real-time help, no version order) is
checked for serializability: the case Cobra (OSDI 2020) made hard; so are
read-modify-write database mixes, clean and with one anomaly each, the clean
one also without a clock (client sessions laid out round-robin, as Cobra's
logs). Last, a Jepsen/Elle list-append history (EDN; its bare parse is the EDN
reader alone). Verdicts are asserted,
so a wrong answer fails the benchmark rather than producing a fast number.

Each file is measured in a fresh process (as a user runs `stmcheck check`),
so the generator's millions of event dicts neither slow the check down nor
count in its peak memory; the child also reports CPU seconds and peak RSS,
and the table records the load average, since wall-clock seconds on a shared
machine say as much about the neighbours as about stmcheck.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time

import click

from stmcheck.models.jepsen import read_edn
from stmcheck.models.txformats import read_transactions

from ..history.criteria import OPACITY, SERIAL, STRICT, STEP_SECONDS, check
from .synth import (ANOMALIES, inject_stale_read, simulate, simulate_database, simulate_elle_append,
                    simulate_rmw_database, write_jsonl)


def _parse_seconds(path: str) -> float:
    """A bare parse: one `json.loads` per line, or for EDN (.edn) the EDN reader alone."""
    start = time.perf_counter()
    if path.endswith(".edn"):
        with open(path, encoding="utf-8") as handle:
            read_edn(handle.read())
        return time.perf_counter() - start
    with open(path, "rb") as handle:
        for line in handle:
            json.loads(line)
    return time.perf_counter() - start


def _measure_here(path: str, criteria) -> dict:
    """Parse, then read and check, in this process; the figures and verdicts."""
    parse = _parse_seconds(path)
    start, cpu = time.perf_counter(), time.process_time()
    history = read_transactions(path)
    read = time.perf_counter() - start
    results = check(history, criteria)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    return {"transactions": history.counts()["transactions"], "parse": parse, "read": read,
            "check": seconds, "cpu": cpu, "rss": _peak_rss_mb(),
            "verdicts": {r.criterion: r.holds for r in results}, "steps": dict(STEP_SECONDS),
            "anomaly": ", ".join(sorted({r.anomaly for r in results if r.anomaly})) or "-"}


def _peak_rss_mb() -> float:
    """This process's peak RSS: VmHWM (ru_maxrss would keep the forking parent's peak across exec)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _measure(path: str, events: int, criteria, expect_holds: bool) -> dict:
    proc = subprocess.run([sys.executable, "-m", "stmcheck.checker.bench.check", path, ",".join(criteria)],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise click.ClickException(f"measuring {os.path.basename(path)} failed: {last}")
    m = json.loads(proc.stdout)
    if any(v is not expect_holds for v in m["verdicts"].values()):
        raise click.ClickException(f"wrong verdict on {os.path.basename(path)}: {m['verdicts']}")
    m["events"] = events
    m["ratio"] = m["check"] / m["parse"] if m["parse"] else float("inf")
    return m


@click.command("check")
@click.option("--sizes", default="1000,10000,100000,1000000", show_default=True,
              help="Comma-separated numbers of transactions of the STM histories.")
@click.option("--database-sizes", "--database-size", "database_sizes", default="1000,10000,100000",
              show_default=True, help="Comma-separated numbers of transactions of the database histories "
                                      "(blind writes and mixes) checked for serializability.")
@click.option("--elle-size", default=100000, show_default=True,
              help="Transactions in the Elle list-append history (EDN) checked for serializability; 0: none.")
@click.option("--out", default="reports/check.md", show_default=True, type=click.Path(dir_okay=False),
              help="Where to write the table (Markdown).")
@click.option("--seed", default=1, show_default=True)
def check_bench(sizes, database_sizes, elle_size, out, seed):
    """Time `stmcheck check` against a bare JSON parse at several sizes; write a table."""
    counts = _sizes(sizes, "--sizes")
    database_counts = _sizes(database_sizes, "--database-sizes")
    rows = []
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="stmcheck-bench-") as tmp:
        for n in counts:
            header, events = simulate(n, seed=seed)
            events = list(events)
            correct = os.path.join(tmp, f"correct-{n}.jsonl")
            written = write_jsonl(correct, header, events)
            if not inject_stale_read(events, seed=seed):
                raise click.ClickException(f"could not plant an anomaly in the {n}-transaction history")
            anomaly = os.path.join(tmp, f"anomaly-{n}.jsonl")
            write_jsonl(anomaly, header, events)
            del events
            rows.append(("opaque STM", n, "strict, opacity", _measure(correct, written, (STRICT, OPACITY), True)))
            click.echo(_line(rows[-1]), err=True)
            rows.append(("one stale read", n, "strict, opacity", _measure(anomaly, written, (STRICT, OPACITY), False)))
            click.echo(_line(rows[-1]), err=True)
        for database_size in database_counts:
            header, events = simulate_database(database_size, seed=seed)
            path = os.path.join(tmp, f"database-{database_size}.jsonl")
            written = write_jsonl(path, header, events)
            rows.append(("blind writes (database)", database_size, "serializability",
                         _measure(path, written, (SERIAL,), True)))
            click.echo(_line(rows[-1]), err=True)
            # read-modify-write mixes, blind writes, hot keys, unique values, no version order
            # (synth.simulate_rmw_database); serializable, and with one anomaly each
            # and the mix as Cobra's logs record it: sessions, no clock (begin and commit say
            # nothing of the serial order)
            for anomaly, timed in [(None, True), *((a, True) for a in ANOMALIES), (None, False)]:
                name = "database mix" + (f", {anomaly}" if anomaly else "") + ("" if timed else ", untimed")
                try:
                    header, events = simulate_rmw_database(database_size, anomaly=anomaly, timed=timed, seed=seed)
                except ValueError as exc:     # a history too small to hold that anomaly
                    click.echo(f"{name}: left out at {database_size} transactions ({exc})", err=True)
                    continue
                path = os.path.join(tmp, f"rmw-{database_size}-{anomaly}-{timed}.jsonl")
                written = write_jsonl(path, header, events)
                rows.append((name, database_size, "serializability",
                             _measure(path, written, (SERIAL,), anomaly is None)))
                click.echo(_line(rows[-1]), err=True)
        if elle_size:
            # Jepsen/Elle list-append (models/elle.py): a list read gives each key's version order
            path = os.path.join(tmp, f"elle-append-{elle_size}.edn")
            with open(path, "w", encoding="utf-8") as f:
                f.write(simulate_elle_append(elle_size, seed=seed))
            m = _measure(path, 2 * elle_size, (SERIAL,), True)   # Jepsen operations: invoke and completion
            rows.append(("Elle list-append (EDN; parse: the EDN reader)", elle_size, "serializability", m))
            click.echo(_line(rows[-1]), err=True)
    _write(out, rows, load_before, os.getloadavg())
    click.echo(f"wrote {out}")


def _sizes(text: str, option: str) -> list:
    try:
        return [int(s) for s in text.split(",") if s.strip() and int(s)]
    except ValueError:
        raise click.BadParameter(f"not a list of integers: {text!r}", param_hint=option) from None


def _line(row) -> str:
    name, n, crit, m = row
    return (f"{name:24} {n:>9} txns  parse {m['parse']:8.2f} s  check {m['check']:8.2f} s "
            f"(read {m['read']:.2f}, cpu {m['cpu']:.2f})  ratio {m['ratio']:5.2f}  "
            f"rss {m['rss']:.0f} MB  ({crit}; {m['anomaly']})")


def _steps(steps: dict) -> str:
    """Seconds per step of the graph search (criteria.STEP_SECONDS): build, witness
    (priority order, step-by-step), search (acyclic.py), inference (pruning by
    reachability), z3."""
    shown = [f"{k} {steps[k]:.2f}" for k in ("build", "witness", "search", "inference", "z3") if steps.get(k)]
    return ", ".join(shown) or "-"


def _write(out: str, rows, load_before=None, load_after=None) -> None:
    from stmcheck.checker.history import acyclic
    from stmcheck.models import jsonl_fast
    reader = "the C scanner (models/jsonl_fast.py)" if jsonl_fast.available() else "the Python reader (no C compiler)"
    search = "in C, acyclic_core.c" if acyclic.native() is not None else "in Python: no C compiler"
    load = ""
    if load_before is not None and load_after is not None:
        load = (f" Load average (1 min) {load_before[0]:.2f} at the start, {load_after[0]:.2f} at the end: "
                "on a shared machine wall-clock seconds vary with the neighbours; `check CPU` does much less.")
    lines = [
        "# `stmcheck bench check`: checking cost against a bare JSON parse",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}. "
        "`parse` is one `json.loads` per line of the JSON Lines file; `check` is stmcheck reading "
        f"the same file (with every well-formedness rule; here by {reader}) and deciding the criteria, "
        "in a fresh process; `read` is the reading part of it; `check CPU` its CPU seconds; `peak RSS` "
        f"that process's peak memory.{load} `graph steps` are the seconds the check spent building "
        "forced dependency graphs (of windows and of the whole history), on cheap witnesses on them "
        "(priority order, step by step), in the acyclicity search over the write orders left open "
        f"(checker/history/acyclic.py; here {search}), in inference (pruning by reachability) and in z3. "
        "Regenerate with `stmcheck bench check`.",
        "",
        "| history | transactions | events | criteria | parse (s) | check (s) | ratio | read (s) | check CPU (s) "
        "| peak RSS (MB) | anomaly found | graph steps (s) |",
        "|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for name, n, crit, m in rows:
        lines.append(f"| {name} | {m['transactions']:,} | {m['events']:,} | {crit} | {m['parse']:.2f} | "
                     f"{m['check']:.2f} | {m['ratio']:.2f} | {m['read']:.2f} | {m['cpu']:.2f} | {m['rss']:.0f} "
                     f"| {m['anomaly']} | {_steps(m.get('steps') or {})} |")
    os.makedirs(os.path.dirname(out) or ".", exist_ok=True)
    with open(out, "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")


if __name__ == "__main__":  # one measurement, in a fresh process (see _measure)
    print(json.dumps(_measure_here(sys.argv[1], sys.argv[2].split(","))))
