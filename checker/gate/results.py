"""Exploration results that can fail a test: `GatedResult` and the `explore` that returns it.

Why a subclass here rather than methods on `ExploreResult`: failing a test means
printing the counterexample as the CLI does (timeline, anomaly, replay command),
and the renderers are a front end that the core, where `ExploreResult` lives,
does not import.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, fields

from stmcheck.checker import api
from stmcheck.checker.explore.result import ExploreResult
from stmcheck.checker.report.explore import human
from stmcheck.models.terms import Verdict


class STMCheckFailure(AssertionError):
    """A design failed its gate. The message is stmcheck's report of the exploration: each
    counterexample's timeline, what is wrong with it and the command that replays it."""


@dataclass(repr=False)
class GatedResult(ExploreResult):
    """An `ExploreResult` with the assertions a test makes of it."""

    def assert_correct(self, *, allow_unknown: bool = False) -> "GatedResult":
        """Fail (`STMCheckFailure`) unless the search proved the design correct here: no
        counterexample, and the whole space explored. With `allow_unknown`, a bounded search
        without a counterexample passes too (a sampling strategy, a time limit that applied)."""
        __tracebackhide__ = True
        if self.violations:
            raise STMCheckFailure(self._report(f"{self._name()}: {self._kinds()} violated"))
        if not self.exhausted and not allow_unknown:
            raise STMCheckFailure(self._report(
                f"{self._name()}: not proven, the search was {self.coverage} (no counterexample found; widen "
                f"the bounds, or pass allow_unknown=True to accept a search that found nothing)"))
        return self

    def assert_violates(self, *kinds) -> "GatedResult":
        """Fail unless a counterexample of each of `kinds` (`Kind` or its name: "opacity",
        "livelock", ...) was found, and no other kind."""
        __tracebackhide__ = True
        found = {str(v.kind) for v in self.violations}
        want = {str(k) for k in kinds}
        if found == want:
            return self
        missing, extra = sorted(want - found), sorted(found - want)
        why = "; ".join(x for x in (f"expected {', '.join(missing)}, not found ({self.coverage})" if missing else "",
                                     f"found {', '.join(extra)}, not expected" if extra else "") if x)
        raise STMCheckFailure(self._report(f"{self._name()}: {why}"))

    def __bool__(self) -> bool:
        """True when the design was proven correct here (`assert result` = `assert_correct()`,
        which says why when it fails)."""
        return self.verdict == Verdict.HOLDS

    def __repr__(self) -> str:
        replay = f"; replay: {self.violations[0].replay}" if self.violations and self.violations[0].replay else ""
        return f"<stmcheck result {self._name()}: {self.verdict} ({self.coverage}){replay}>"

    # -- text ---------------------------------------------------------------------------------
    def _name(self) -> str:
        c = self.config
        return f"{c.design} on {c.program}, {c.threads} threads"

    def _kinds(self) -> str:
        return ", ".join(sorted({str(v.kind) for v in self.violations}))

    def _report(self, headline: str) -> str:
        return f"{headline}\n\n{human(self)}"


def gated(result: ExploreResult) -> GatedResult:
    return GatedResult(**{f.name: getattr(result, f.name) for f in fields(ExploreResult)})


@functools.wraps(api.explore)
def explore(*args, **kwargs) -> GatedResult:
    return gated(api.explore(*args, **kwargs))


explore.__doc__ = (api.explore.__doc__ or "") + """

    The result can fail a test: `result.assert_correct()` (or `assert result`) and
    `result.assert_violates("livelock")` raise `STMCheckFailure` with stmcheck's report."""
