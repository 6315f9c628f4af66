"""Explores, checks and reports: the criteria checkers, the runtime and its
strategies, and the `stmcheck` command."""
