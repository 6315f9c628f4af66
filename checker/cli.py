"""The `stmcheck` command: one click group; each subcommand lives in its own module."""

from __future__ import annotations

import click

from .bench_cli import bench
from .check_cli import check


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="stmcheck")
def main():
    """stmcheck: a model checker and test harness for Software Transactional Memory designs.

    \b
    Check a recorded history against serializability, strict serializability and opacity:
        stmcheck check examples/write-skew.json
    """


main.add_command(check)
main.add_command(bench)
