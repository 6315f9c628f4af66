"""The `stmcheck` command: one click group; each subcommand is a thin front end in its own module."""

from __future__ import annotations

import click

from .bench import bench
from .check import check
from .conform import conform
from .explore import explore, replay
from .list import list_
from .matrix import matrix
from .stress import stress


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
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
    List the designs, contention managers, workloads, criteria and strategies:
        stmcheck list
    """


for command in (check, bench, stress, conform, explore, replay, matrix, list_):
    main.add_command(command)
