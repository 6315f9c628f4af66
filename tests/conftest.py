"""Make the test helpers in tests/support/ (`oracle`, `dsl`, `generated_histories`,
`native_designs`, `audit_workload`, `state_search`) importable by name from every test folder,
whatever pytest's import mode.

The folders mirror the packages: models/, implementations/, history/,
linearizability/, explore/, native/, matrix/, cli/, bench/, api/; test_layers.py
checks the structure of the whole package.
"""

import os
import sys

SUPPORT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "support")
if SUPPORT not in sys.path:
    sys.path.insert(0, SUPPORT)

PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def pytest_configure(config):
    """Compile the package once, before the workers start: the processes the suite starts (its
    pytest-xdist workers, every CLI run in a subprocess, Ray's workers) then load it compiled.
    Where PYTHONDONTWRITEBYTECODE is set, as on these machines, each compiled it anew (0.35 s a
    process here; the CLI tests that start processes took 33.5 s, 24.6 s compiled)."""
    if hasattr(config, "workerinput"):       # an xdist worker: the controller compiled already
        return
    import compileall
    compileall.compile_file(os.path.join(PACKAGE, "__init__.py"), quiet=2)
    for folder in ("checker", "models", "implementations"):
        compileall.compile_dir(os.path.join(PACKAGE, folder), quiet=2)
