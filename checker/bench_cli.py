"""`stmcheck bench ...`: benchmarks whose results are written to reports/.

Each benchmark is a subcommand registered here from its own module.
"""

import click


@click.group()
def bench():
    """Run a benchmark and write its table to reports/."""
