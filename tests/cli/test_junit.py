"""`--junit FILE` on explore, matrix and check: valid JUnit XML (the schema CI tools read,
tests/support/junit-10.xsd), one test case per property, cell or criterion, with the
counterexample as the failure's text."""

import os
import xml.etree.ElementTree as ET

import pytest
import xmlschema
from click.testing import CliRunner

from stmcheck.checker.cli import main

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCHEMA = xmlschema.XMLSchema(os.path.join(ROOT, "tests", "support", "junit-10.xsd"))


def _run(args, path):
    r = CliRunner().invoke(main, args + ["--junit", str(path)])
    SCHEMA.validate(str(path))
    return r, ET.parse(path).getroot()


def _cases(root) -> dict:
    out = {}
    for case in root.iter("testcase"):
        kind = next((c.tag for c in case if c.tag in ("failure", "error", "skipped")), "passed")
        out[case.get("name")] = (kind, case)
    return out


def test_explore_a_broken_design_fails_its_criterion_with_the_counterexample(tmp_path):
    r, root = _run(["explore", "tl2-no-read-validation"], tmp_path / "e.xml")
    assert r.exit_code == 1
    cases = _cases(root)
    assert set(cases) == {"transfer-2-opacity", "transfer-2-invariant", "transfer-2-deadlock", "transfer-2-livelock"}
    kind, case = cases["transfer-2-opacity"]
    assert kind == "failure"
    text = case.find("failure").text
    assert "timeline (schedule" in text and "stmcheck replay tl2-no-read-validation" in text
    # stopped at the first violation: the rest is not proven
    assert {k for k, _ in cases.values()} == {"failure", "skipped"}
    assert root.get("tests") == "4" and root.get("failures") == "1" and root.get("skipped") == "3"


def test_explore_an_exhausted_search_passes_every_case(tmp_path):
    r, root = _run(["explore", "tl2", "--no-timings"], tmp_path / "e.xml")
    assert r.exit_code == 0
    assert {k for k, _ in _cases(root).values()} == {"passed"}
    assert "time" not in (tmp_path / "e.xml").read_text()          # --no-timings: the same bytes every time


def test_matrix_a_case_per_cell(tmp_path):
    r, root = _run(["matrix", "--designs", "locks-naive,native-tl2", "--workloads", "swap", "--threads", "2",
                    "--quiet"], tmp_path / "m.xml")
    assert r.exit_code == 0, r.output
    suites = {s.get("name"): s for s in root.iter("testsuite")}
    assert set(suites) == {"stmcheck matrix locks-naive", "stmcheck matrix native-tl2"}
    (naive,) = suites["stmcheck matrix locks-naive"].iter("testcase")
    assert naive.get("name") == "swap-2" and len(naive) == 0       # deadlock expected and found: passes
    (native,) = suites["stmcheck matrix native-tl2"].iter("testcase")
    assert native.find("skipped") is not None                       # n/a


def test_check_a_case_per_criterion(tmp_path):
    r, root = _run(["check", os.path.join(ROOT, "examples", "write-skew.json"), "-c", "serializability", "-c",
                    "opacity", os.path.join(ROOT, "examples", "no-such-file.json")], tmp_path / "c.xml")
    assert r.exit_code == 2
    cases = list(root.iter("testcase"))
    assert [(c.get("name"), c[0].tag) for c in cases[:2]] == [("serializability", "failure"), ("opacity", "failure")]
    assert "G2-item" in cases[0].find("failure").get("message")
    assert cases[2].find("error") is not None and "no-such-file.json" in cases[2].find("error").get("message")


def test_an_unwritable_file_is_refused_before_the_search(tmp_path):
    r = CliRunner().invoke(main, ["matrix", "--junit", str(tmp_path / "no" / "m.xml")])
    assert r.exit_code == 2 and "cannot write" in r.output and "Traceback" not in r.output


@pytest.mark.parametrize("bad", ["<testsuites><testsuite/></testsuites>",
                                 "<testsuites><testsuite name='x' tests='1'><testcase name='a'><skipped/><failure/>"
                                 "</testcase></testsuite></testsuites>"])
def test_the_schema_rejects_what_is_not_junit(tmp_path, bad):
    """The validation above can fail: a suite without its name, a case both skipped and failed."""
    path = tmp_path / "bad.xml"
    path.write_text(bad)
    with pytest.raises(xmlschema.XMLSchemaValidationError):
        SCHEMA.validate(str(path))


def test_stress_a_case_per_criterion_invariant_and_crash(tmp_path):
    import shutil
    if not (shutil.which("cc") or shutil.which("gcc")):
        pytest.skip("no C compiler: native designs cannot be built here")
    r, root = _run(["stress", "native-tl2", "--seconds", "0.5", "--threads", "2", "-c", "opacity"], tmp_path / "s.xml")
    assert r.exit_code == 0, r.output
    assert [(c.get("name"), len(c)) for c in root.iter("testcase")] == [("opacity", 0), ("invariant", 0), ("crash", 0)]


def test_explore_names_the_criterion_judged_even_when_it_is_no_kind(tmp_path):
    r, root = _run(["explore", "tl2", "--criterion", "session-serializability"], tmp_path / "e.xml")
    assert r.exit_code == 0, r.output
    assert "transfer-2-session-serializability" in _cases(root)
