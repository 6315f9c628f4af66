"""Runs that step over every checkpoint (`machine.checkpoint`): each thread's position then
keeps all its attempt has seen, as for a design that declares none (the native ones)."""

from stmcheck.checker.explore.runtime import Run
from stmcheck.models.machine import Checkpoint


def without_checkpoints(monkeypatch, label: str | None = None):
    """Step over every checkpoint, or only over those named `label` (the others taken as ever;
    one of `label` that follows another checkpoint with no step between is taken with it: the
    'conflict' checkpoints always follow a step)."""
    taken = Run._checkpoints

    def skip(self, t, x):
        while type(x.pending) is Checkpoint and label in (None, x.pending.label):
            x.pending = x.gen.send(None)
        if type(x.pending) is Checkpoint:
            taken(self, t, x)
    monkeypatch.setattr(Run, "_checkpoints", skip)
