"""Runs that step over every checkpoint (`machine.checkpoint`): each thread's position then
keeps all its attempt has seen, as for a design that declares none (the native ones)."""

from stmcheck.checker.explore.runtime import Run
from stmcheck.models.machine import Checkpoint


def without_checkpoints(monkeypatch, label: str | tuple | None = None):
    """Step over every checkpoint, or only over those named `label` (a name or a tuple of names;
    the others taken as ever; one of `label` that follows another checkpoint with no step between
    is taken with it: the 'conflict' checkpoints always follow a step)."""
    taken = Run._checkpoints
    labels = (label,) if label is None or isinstance(label, str) else label

    def skip(self, t, x):
        while type(x.pending) is Checkpoint and (label is None or x.pending.label in labels):
            x.pending = x.gen.send(None)
        if type(x.pending) is Checkpoint:
            taken(self, t, x)
    monkeypatch.setattr(Run, "_checkpoints", skip)
