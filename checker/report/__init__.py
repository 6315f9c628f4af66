"""Renderers: the human text and the JSON of each command's result, and the
matrix's Markdown. Nothing here computes a verdict; the core never imports
this package."""

_TIMINGS = [True]


def timings() -> bool:
    """Whether reports include timings (elapsed seconds, rates).

    A setting of the renderers rather than an argument threaded through every
    call, because some reports are built behind partials the front end binds
    before it knows how they will be printed (`stmcheck check` with several
    files); `--no-timings` turns it off for one command (`set_timings`)."""
    return _TIMINGS[0]


def set_timings(on: bool) -> None:
    """Set for the command about to run (every command sets it, so one run cannot leak into the next)."""
    _TIMINGS[0] = bool(on)
