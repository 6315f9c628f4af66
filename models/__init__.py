"""The vocabulary of stmcheck: histories and their file formats, the machine
model designs are written against, sequential specifications and workloads.

Nothing here imports from `stmcheck.checker` or `stmcheck.implementations`.
"""
