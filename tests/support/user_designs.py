"""Source text of a user's design, for the tests that load designs from files.

`GLOBAL_LOCK` is the README's one-lock design under the name `GlobalLock`;
tests append subclasses that break it in one way each and write the whole to a
.py file, so that the design is loaded exactly as a user's would be.
"""

import textwrap

GLOBAL_LOCK = textwrap.dedent('''
    import os
    import sys

    from stmcheck.models.machine import Abort


    class GlobalLock:
        def __init__(self, machine, keys, threads):
            self.lock = machine.lock("G")
            self.cells = {k: machine.cell(k, v) for k, v in keys.items()}

        def begin(self, thread):
            yield self.lock.acquire()
            return thread

        def read(self, tx, key):
            return (yield self.cells[key].load())

        def write(self, tx, key, value):
            yield self.cells[key].store(value)

        def commit(self, tx):
            yield self.lock.release()

        def abort(self, tx):
            yield self.lock.release()
''')


def with_variants(variants: str) -> str:
    """The module text: `GlobalLock`, then the given classes (dedented)."""
    return GLOBAL_LOCK + "\n\n" + textwrap.dedent(variants)
