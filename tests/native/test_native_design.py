"""Native designs behind the Python design interface, driven by the Python explorer.

The adapter (implementations/native/design.py) mirrors every C access as a
machine step, so the explorer's strategies run C code unchanged. Conformance:
under DPOR, the C `native-tl2` and the Python model `tl2` must reach exactly
the same set of histories, access for access.
"""

from __future__ import annotations

import pytest

from stmcheck.implementations.native.loader import available

REASON = available()
pytestmark = pytest.mark.skipif(REASON is not None, reason=f"native core unavailable: {REASON}")

api = pytest.importorskip("stmcheck.checker.api", reason="the Python explorer is not installed")


def _explore(cls, strategy="dpor", threads=2, txns=1, executions=2000, stop=False):
    setup = api.prepare(cls, "transfer", threads=threads, txns=txns)
    return api.make_explorer(setup, strategy, max_executions=executions, time_limit=60, stop_at_first=stop).explore()


@pytest.mark.parametrize("python_name, native_cls", [
    ("tl2", "NativeTL2"),
    ("tl2-no-read-validation", "NativeTL2NoReadValidation"),
])
def test_native_tl2_conforms_to_the_python_model(python_name, native_cls, monkeypatch):
    from stmcheck.implementations import registry
    from stmcheck.implementations.native import design
    from checkpoints_off import without_checkpoints

    # The model's commit and abort checkpoints let DPOR's state cache merge what the C core,
    # which declares none, keeps apart: step for step is compared, so the model steps over them.
    with monkeypatch.context() as m:
        without_checkpoints(m)
        model = _explore(registry.load_design(python_name)[0])
    native = _explore(getattr(design, native_cls))
    assert model.exhausted and native.exhausted
    assert native.executions == model.executions and native.steps == model.steps
    assert native.signatures == model.signatures  # the same histories, schedule for schedule
    assert len(native.violations) == len(model.violations)


def test_dpor_exhausts_native_norec_cleanly():
    from stmcheck.implementations.native.design import NativeNOrec

    out = _explore(NativeNOrec)
    assert out.exhausted and not out.violations


def test_lost_update_variant_is_found_by_the_python_explorer():
    from stmcheck.implementations.native.design import NativeTL2NoCommitValidation

    out = _explore(NativeTL2NoCommitValidation, stop=True)
    assert out.violations and out.violations[0].kind in ("serializability", "strict-serializability", "opacity")
