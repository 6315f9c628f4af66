"""Runs that step over every checkpoint (`machine.checkpoint`): each thread's position then
keeps all its attempt has seen, as for a design that declares none (the native ones)."""

from stmcheck.checker.explore.runtime import Run
from stmcheck.models.machine import Checkpoint


def without_checkpoints(monkeypatch):
    def skip(self, t, x):
        while type(x.pending) is Checkpoint:
            x.pending = x.gen.send(None)
    monkeypatch.setattr(Run, "_checkpoints", skip)
