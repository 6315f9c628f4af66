"""Native designs with declared stamp words (implementations/native/design.py, `stamp_words`):
the checker forgets how far C's clock has run, as it does for Python designs, and that is exact.

Why: without it, a cyclic run of C TL2 or NOrec never returns to a state (the clock and the
versions grow), so starvation was never decided for a native design. With it: equal canonical
forms have equal futures (the same check as the Python designs'), the 2-thread starvation cells
are decided as the Python models' are, and a C value that breaks rule 3 is refused, never
silently taken.
"""

from __future__ import annotations

import pytest

from stmcheck.implementations.native.loader import available

REASON = available()
pytestmark = pytest.mark.skipif(REASON is not None, reason=f"native core unavailable: {REASON}")

api = pytest.importorskip("stmcheck.checker.api", reason="the Python explorer is not installed")

from stmcheck.checker.explore.starvation import liveness  # noqa: E402
from stmcheck.implementations.native.design import NativeTL2, SHIFTED  # noqa: E402
from stmcheck.models import stamps  # noqa: E402
from stmcheck.models.machine import Machine  # noqa: E402
from stamp_futures import bisimulation_breaches  # noqa: E402


@pytest.mark.parametrize("design", ["native-tl2", "native-norec"])
def test_equal_forms_have_equal_futures_in_c(monkeypatch, design):
    assert bisimulation_breaches(stamps.canonical_ranks, monkeypatch, design, runs=30, follow_up=60) == 0


@pytest.mark.parametrize("native, python", [("native-tl2", "tl2"), ("native-norec", "norec")])
def test_starvation_is_decided_for_c_as_for_the_python_model(native, python):
    found = {}
    for name in (native, python):
        setup = api.prepare(name, "transfer", threads=2)
        found[name] = liveness(setup.design_cls, setup.workload, 20_000, stop_at_starvation=True)
    assert found[native]["starvation"] == found[python]["starvation"] == "violated"
    w = found[native]["starvation_witness"]
    again = api.replay(native, w["prefix"] + w["loop"] * 2, "transfer", threads=2, cyclic=True)
    assert again.violation is not None and again.violation.kind == "starvation"


def test_a_stamp_c_did_not_read_is_refused():
    design = NativeTL2(Machine(), {"a0": 10, "a1": 10}, 2)
    try:
        d = design._domain
        assert design._decode(SHIFTED, 0 << 1 | 1, 1) == (stamps.Stamp(0, d), 1)   # the newest, locked
        fresh = design._decode(SHIFTED, 1 << 1, 1)                                  # newest + 1: a new version
        assert fresh[0].value == 1 and fresh[0].offset == 1
        with pytest.raises(stamps.StampMisuse, match="did not read in this attempt"):
            design._decode(SHIFTED, 5 << 1, 1)                                      # out of thin air
        design._received[1] = {5}
        assert design._decode(SHIFTED, 5 << 1, 1)[0].offset == 0                    # read: a copy
    finally:
        design.__del__()
