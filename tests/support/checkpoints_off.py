"""Runs that step over every checkpoint (`machine.checkpoint`): each thread's position then
keeps all its attempt has seen, as for a design that declares none (the native ones)."""

from stmcheck.checker.explore.runtime import Run
from stmcheck.models.machine import Checkpoint


def without_checkpoints(monkeypatch):
    def skip(self, t, x):
        while type(x.pending) is Checkpoint:
            x.pending = x.gen.send(None)
    monkeypatch.setattr(Run, "_checkpoints", skip)


def without_checkpoint(monkeypatch, label: str):
    """Runs that step over the checkpoints named `label` only (the others taken as ever)."""
    taken = Run._checkpoints

    def skip(self, t, x):
        while type(x.pending) is Checkpoint and x.pending.label == label:
            x.pending = x.gen.send(None)
        if type(x.pending) is not Checkpoint:
            return
        taken(self, t, x)
    monkeypatch.setattr(Run, "_checkpoints", skip)
