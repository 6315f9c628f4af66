"""Every event number in a counterexample's explanation indexes the history shown beside
it (the explorer's verdict cache is keyed by what the criteria see, so a cached verdict's
text came from another ordering of the same history), and an opacity explanation names
every read that no single state explains."""

from __future__ import annotations

import re

import pytest

import stmcheck

CITED = re.compile(r"(?<!also )\b(T[\d.]+) read (\S+)=(\S+) \(event (\d+)\)")
ALSO = re.compile(r"(\S+) also read ((?:\S+=\S+ \(event \d+\)(?:, )?)+)")


@pytest.mark.parametrize("design", ["tl2-no-read-validation", "norec-no-revalidation", "tl2-readonly-unchecked"])
def test_cited_events_are_the_shown_history_s(design):
    (v,) = stmcheck.explore(design).violations
    events = v.history["events"]
    cited = CITED.findall(v.explanation)
    for m in ALSO.finditer(v.explanation):
        cited += [(m.group(1), key, value, n) for key, value, n in re.findall(r"(\S+)=(\S+) \(event (\d+)\)",
                                                                              m.group(2))]
    assert len(cited) >= 2, v.explanation            # the read the state cannot explain, and the one it clashes with
    for txn, key, value, n in cited:
        e = events[int(n)]
        assert (e["op"], str(e["txn"]), e["key"], str(e["value"])) == ("read", txn, key, value), (n, e)
    readers = {txn for txn, *_ in cited}
    assert len(readers) == 1                          # one zombie transaction saw both


def test_every_violation_found_explains_its_own_run():
    result = stmcheck.explore("tl2-no-read-validation", stop_at_first=False, shrink=False)
    assert len(result.violations) > 1
    for v in result.violations:
        events = v.history["events"]
        for txn, key, value, n in CITED.findall(v.explanation):
            e = events[int(n)]
            assert (e["op"], str(e["txn"]), e["key"]) == ("read", txn, key), (v.explanation, n, e)
