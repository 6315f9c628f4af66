"""The one error for a design written against the interface wrongly (see models/machine.py)."""


class DesignMisuse(Exception):
    """A design breaks the interface itself: a method yields something other than a
    step, is missing or takes the wrong arguments, or `begin` returns no descriptor.
    Unlike a design's own exception (a `crash` counterexample, found in some runs and
    not others), this is a mistake in how the design is written: a usage error."""
