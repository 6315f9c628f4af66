"""`stmcheck bench ...`: benchmarks whose results are written to reports/.

Each benchmark is a subcommand registered here from its own module.
"""

import click


@click.group()
def bench():
    """Run a benchmark and write its table to reports/."""

from .check_bench import check_bench  # noqa: E402  (issue 2)

bench.add_command(check_bench)

from .native_bench import native  # noqa: E402  (issue 6)

bench.add_command(native)

from .lin_bench import lin  # noqa: E402  (issue 5)

bench.add_command(lin)

from .explore_bench import explore_bench  # noqa: E402  (issue 3)

bench.add_command(explore_bench)

from .bugs_bench import bugs_bench  # noqa: E402  (issue 4)

bench.add_command(bugs_bench)
