"""stmcheck: a model checker and test harness for Software Transactional Memory designs."""
