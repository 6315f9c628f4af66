"""The `stmcheck` command: one click group; each subcommand is a thin front end in its own module."""

from __future__ import annotations

from contextlib import contextmanager

import click

from .bench import bench
from .check import check
from .conform import conform
from .explore import explore, replay
from .fuzz import fuzz
from .list import list_
from .matrix import matrix
from .stress import stress


class OneLineUsageError(click.UsageError):
    """A usage error shown as every other input error is: `stmcheck: error: ...` on one line, exit 2.

    click's own form (Usage, Try, a blank line, Error) is four lines that a
    script reading stderr would have to parse apart from every other error."""

    def show(self, file=None) -> None:
        click.echo(f"stmcheck: error: {self.message}", file=file, err=file is None)


def _one_line(exc: click.UsageError) -> OneLineUsageError:
    message = " ".join(exc.format_message().split()).rstrip(".")
    if exc.ctx is not None:
        message += f" (try '{exc.ctx.command_path} --help')"
    return OneLineUsageError(message, exc.ctx)


@contextmanager
def _usage_errors_in_one_line():
    try:
        yield
    except (OneLineUsageError, click.exceptions.NoArgsIsHelpError):
        raise                                   # already one line; or a bare group: its help, as ever
    except click.UsageError as exc:
        raise _one_line(exc) from None


class Stmcheck(click.Group):
    """The group: parses its own options and every subcommand's with usage errors turned into one line."""

    def make_context(self, info_name, args, parent=None, **extra):
        with _usage_errors_in_one_line():
            return super().make_context(info_name, args, parent=parent, **extra)

    def invoke(self, ctx):
        try:
            with _usage_errors_in_one_line():
                return super().invoke(ctx)
        except KeyboardInterrupt:
            # ^C is the user's, not a finding: the shell's convention (128 + SIGINT), never exit 1,
            # which CI reads as "violation found".
            click.echo("stmcheck: interrupted", err=True)
            raise click.exceptions.Exit(130) from None


@click.group(cls=Stmcheck, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="stmcheck")
def main():
    """stmcheck: a model checker and test harness for Software Transactional Memory designs.

    \b
    Check a recorded history against serializability, strict serializability and opacity:
        stmcheck check examples/write-skew.json
    \b
    Explore every interleaving of an STM design on simulated threads, and replay one:
        stmcheck explore tl2 --threads 3
        stmcheck replay locks-naive --workload swap --schedule 1*6,2
    \b
    Search generated programs for a minimal one a design fails:
        stmcheck fuzz tl2-no-read-validation
    \b
    List the designs, contention managers, workloads, criteria and strategies:
        stmcheck list
    """


for command in (check, bench, stress, conform, explore, replay, fuzz, matrix, list_):
    main.add_command(command)
