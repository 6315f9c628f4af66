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
