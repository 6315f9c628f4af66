"""STM designs, each a small module written against `stmcheck.models.machine`."""
