"""`stmcheck bench ...`: benchmarks whose results are written to reports/.

Each benchmark is a subcommand registered here from its own module.
"""

import click


@click.group()
def bench():
    """Run a benchmark and write its table to reports/."""

from ..bench.check import check_bench  # noqa: E402  (issue 2)

bench.add_command(check_bench)

from ..bench.native import native  # noqa: E402  (issue 6)

bench.add_command(native)

from ..bench.linearizability import lin  # noqa: E402  (issue 5)

bench.add_command(lin)

from ..bench.explore import explore_bench  # noqa: E402  (issue 3)

bench.add_command(explore_bench)

from ..bench.bugs import bugs_bench  # noqa: E402  (issue 4)

bench.add_command(bugs_bench)
