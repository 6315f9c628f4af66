"""The explorer: runs a design on simulated threads and judges every execution.

runtime.py runs one execution step by step; strategies/ choose the interleavings
(one module each, registered in strategies/__init__.py); engine.py drives a
strategy over executions and judges each (criteria, invariant, linearizability
via objects.py, deadlock and livelock via liveness.py); starvation.py decides
starvation on the state graph of cyclic runs; shrink.py shrinks
counterexamples; statekey.py and witnesskey.py say what a state is for the
strategies that remember states; saving.py saves a state-graph search between
runs to go on with later; config.py and result.py are the typed
configuration and results the API hands out.
"""
