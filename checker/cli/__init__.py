"""The `stmcheck` command: one click group; each subcommand lives in its own module."""

from __future__ import annotations

import click

from .bench import bench
from .check import check
from .explore import explore, replay


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


main.add_command(check)
main.add_command(bench)

from .stress import stress  # noqa: E402  (native free mode: issue 6)

main.add_command(stress)

from .conform import conform  # noqa: E402  (model versus C code: issue 6)

main.add_command(conform)
main.add_command(explore)
main.add_command(replay)

from .matrix import matrix  # noqa: E402  (the verdict matrix: issue 4)

main.add_command(matrix)

from .list import list_  # noqa: E402  (stmcheck list: issue 4)

main.add_command(list_)
