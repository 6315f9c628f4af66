"""The native (C) STM core and its cffi adapter.

C (built at first use into ~/.cache/stmcheck, see build.py):
  stm.h          the design interface and the STM_* instrumentation layer (start here
                 to write your own C STM)
  tl2.c norec.c  native-tl2 (+ the broken -no-read-validation, -no-commit-validation),
                 native-norec
  workload.c     the bank workload and its recording (stamps that never invent order)
  controlled.c   coroutines, the bank workload's random/PCT/replay loop, session mode
  program.c      the explorer's workloads as straight-line programs, scheduled natively
                 with the Python runtime's rules (what `explore --strategy random|pct` runs)
  stress.c       free mode on pthreads (optionally with noise injection)
  itm_bank.c     the same workload on GCC's libitm (__transaction_atomic)
Python (importing none of these builds anything; nothing imports stmcheck.checker):
  loader.py build.py   cffi declarations, compiler and cache
  controlled.py        step-by-step executions and native exploration (bank workload)
  program.py           workloads compiled for program.c, run in a child process
  design.py            native designs behind the Python design interface
  stress.py            free-mode and libitm rounds
  events.py            event buffers -> stmcheck.history/1 histories
  isolate.py           running native code in a child, so a crash is reported
  worker.py            the adapter's C sessions in a worker process (a segfault is a crash
                       counterexample, not the end of stmcheck)
"""
