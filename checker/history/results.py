"""The verdict of one criterion on one history, in the shape of the public contract."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from stmcheck.models.history import json_value


@dataclass
class Edge:
    """One dependency edge: `src` must come before `dst` (kind ww, wr, rw, rt or po)."""

    src: object
    dst: object
    kind: str
    key: str | None = None

    def to_json(self) -> dict:
        out = {"from": self.src, "to": self.dst, "kind": self.kind}
        if self.key is not None:
            out["key"] = self.key
        return out

    def label(self) -> str:
        return f"{self.kind}({self.key})" if self.key is not None else self.kind


@dataclass
class Result:
    """`holds` is True, False, or None (inconclusive: a budget ran out).

    A result that holds carries `order`, a witness anyone can check; one that
    is violated carries an `anomaly` class, a `cycle` where the violation is a
    cycle, and an `explanation` in plain words.
    """

    criterion: str
    holds: bool | None
    order: list | None = None
    anomaly: str | None = None
    cycle: list[Edge] | None = None
    explanation: str | None = None
    events: list[int] = field(default_factory=list)  # event indices involved, for reports
    decided_by: str | None = None  # "witness", "graph", "z3" or "import" (a finding of the reader)

    def copy_for(self, criterion: str) -> "Result":
        """The same verdict and evidence, for another criterion it settles."""
        return replace(self, criterion=criterion, events=list(self.events))

    def to_json(self) -> dict:
        out = {"criterion": self.criterion, "holds": self.holds}
        if self.holds:
            out["order"] = list(self.order or [])
        elif self.holds is False:
            out["anomaly"] = self.anomaly
            if self.cycle:
                out["cycle"] = [e.to_json() for e in self.cycle]
            out["explanation"] = self.explanation
        else:
            out["explanation"] = self.explanation
        return out


def render_cycle(cycle: list[Edge]) -> str:
    """`T1 -rw(x)-> T2 -rw(y)-> T1`."""
    if not cycle:
        return ""
    parts = [str(cycle[0].src)]
    for edge in cycle:
        parts.append(f"-{edge.label()}->")
        parts.append(str(edge.dst))
    return " ".join(parts)


def show_value(value) -> str:
    import json
    return json.dumps(json_value(value))
