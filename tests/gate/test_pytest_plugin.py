"""The CI gate as a user meets it: a test file of their own, run by pytest with the plugin.

Each test writes a user's test file (and design) into a fresh directory and runs
pytest on it (`pytester`), then reads the outcome and the report pytest printed.
"""

import pytest
from user_designs import with_variants

pytest_plugins = ["pytester"]

# the user's design: the shared one-lock design (tests/support/user_designs.py) as MySTM, and a
# variant that forgets the lock
MY_STM = with_variants('''
    class MySTM(GlobalLock):
        """One lock around every transaction."""


    class NoLock(GlobalLock):
        """Forgets the lock: transactions interleave freely."""

        def begin(self, thread):
            yield self.cells["a0"].load()
            return thread

        def commit(self, tx):
            yield self.cells["a0"].load()

        abort = commit
''')


@pytest.fixture
def project(pytester):
    pytester.makepyfile(my_stm=MY_STM)
    return pytester


def test_a_correct_design_passes_and_a_broken_one_fails_with_the_report(project):
    project.makepyfile(test_gate='''
        import stmcheck

        def test_my_stm_is_correct():
            stmcheck.explore("my_stm.py:MySTM", workload="transfer", threads=2).assert_correct()

        def test_no_lock_is_correct():
            result = stmcheck.explore("my_stm.py:NoLock", workload="transfer", threads=2)
            assert result
    ''')
    out = project.runpytest_subprocess("-p", "stmcheck")     # a fresh process, as a user's CI runs it
    out.assert_outcomes(passed=1, failed=1)
    text = out.stdout.str()
    assert "warning" not in text.lower()
    assert "test_no_lock_is_correct" in text and "violated" in text
    assert "stmcheck replay my_stm.py:NoLock --workload transfer --threads 2" in text
    assert "stmcheck: STM designs gated by exploration" in text          # the plugin's header


def test_assert_correct_prints_timeline_anomaly_and_replay(project):
    project.makepyfile(test_gate='''
        import stmcheck

        def test_tl2_without_read_validation():
            stmcheck.explore("tl2-no-read-validation").assert_correct()
    ''')
    out = project.runpytest()
    out.assert_outcomes(failed=1)
    text = out.stdout.str()
    for seen in ("STMCheckFailure", "opacity violated", "timeline (schedule", "T2.1 BEGIN", "anomaly:",
                 "stmcheck replay tl2-no-read-validation --workload transfer --threads 2"):
        assert seen in text, seen


def test_a_grid_is_one_test_per_cell_with_expectations(project):
    project.makepyfile(test_grid='''
        import stmcheck

        @stmcheck.grid("tl2", workloads=["transfer", "write-skew"], threads=[2], expect={"write-skew": "livelock"})
        def test_tl2(stm_cell):
            stm_cell.check()

        @stmcheck.grid("my_stm.py:NoLock", workloads="counter")
        def test_no_lock(stm_cell):
            stm_cell.check()

        @stmcheck.grid("tl2", workloads="transfer", expect="livelock")
        def test_wrong_expectation(stm_cell):
            stm_cell.check()
    ''')
    out = project.runpytest("-v")
    out.assert_outcomes(passed=2, failed=2)
    out.stdout.fnmatch_lines(["*test_tl2?tl2-transfer-2? PASSED*", "*test_tl2?tl2-write-skew-2? PASSED*",
                              "*test_no_lock?NoLock-counter-2? FAILED*",
                              "*test_wrong_expectation?tl2-transfer-2? FAILED*"])
    assert "expected livelock, not found (exhausted)" in out.stdout.str()
    # every cell carries the plugin's marker
    marked = project.runpytest("-m", "stmcheck", "-k", "tl2 and transfer")
    marked.assert_outcomes(passed=1, failed=1)


def test_the_fixture_and_allow_unknown(project):
    project.makepyfile(test_fixture='''
        def test_bounded(stm_explore):
            result = stm_explore("tl2", workload="transfer", threads=2, strategy="random", max_executions=5)
            result.assert_correct(allow_unknown=True)
            assert not result          # sampled: nothing proven

        def test_bounded_fails_by_default(stm_explore):
            stm_explore("tl2", workload="transfer", threads=2, strategy="random", max_executions=5).assert_correct()
    ''')
    out = project.runpytest()
    out.assert_outcomes(passed=1, failed=1)
    assert "not proven, the search was bounded: max-executions 5" in out.stdout.str()


def test_a_bad_expectation_is_a_clear_error(project):
    project.makepyfile(test_bad='''
        import stmcheck

        @stmcheck.grid("tl2", expect="livelocks")
        def test_x(stm_cell):
            stm_cell.check()
    ''')
    out = project.runpytest()
    out.assert_outcomes(errors=1)
    assert "bad expectation 'livelocks'" in out.stdout.str()


def test_the_readme_example_runs_as_a_users_test_file(project):
    """README.md's "CI gate" example, as it is, beside a correct `my_stm.py`."""
    import os
    import re
    readme = os.path.join(os.path.dirname(__file__), "..", "..", "README.md")
    with open(readme, encoding="utf-8") as f:
        text = f.read()
    section = text[text.index("### CI gate"):]
    example = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    project.makepyfile(test_readme=example)
    out = project.runpytest("-v")
    out.assert_outcomes(passed=3)
    out.stdout.fnmatch_lines(["*test_tl2?tl2-transfer-2? PASSED*", "*test_tl2?tl2-write-skew-2? PASSED*"])
