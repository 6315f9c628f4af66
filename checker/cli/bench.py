"""`stmcheck bench ...`: benchmarks whose results are written to reports/.

Each benchmark is a subcommand defined in its own module of checker/bench/.
"""

import click

from ..bench.bugs import bugs_bench
from ..bench.check import check_bench
from ..bench.cluster import cluster_bench
from ..bench.explore import explore_bench
from ..bench.fuzz import fuzz_bench
from ..bench.graph import graph_bench
from ..bench.linearizability import lin
from ..bench.native import native


@click.group()
def bench():
    """Run a benchmark and write its table to reports/."""


for command in (check_bench, native, lin, explore_bench, graph_bench, bugs_bench, fuzz_bench, cluster_bench):
    bench.add_command(command)
