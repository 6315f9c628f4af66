"""The README's commands run as written, on files the repository ships.

A user's first move is to paste a command from the README: one that names a
file nobody has (`etcd_000.log`, `history.json`) fails before it teaches
anything. Every `stmcheck check`, `replay` or `explore` line of a ```sh block
that names a file under examples/ is run here, in-process, from the
repository root: it must finish with a verdict (exit 0 or 1), never a
traceback. The docs that go with them are held to what users asked for.
"""

from __future__ import annotations

import glob
import json
import os
import re
import shlex

import pytest
from click.testing import CliRunner

from stmcheck.checker.cli import main

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _read(name: str) -> str:
    with open(os.path.join(REPO, name), encoding="utf-8") as f:
        return f.read()


README = _read("README.md")
FORMATS = _read(os.path.join("docs", "formats.md"))


def readme_commands() -> list[list[str]]:
    """The argument lists of the README's sh lines that run check, replay or explore on an example file."""
    out = []
    for block in re.findall(r"```sh\n(.*?)```", README, re.S):
        for line in block.splitlines():
            words = shlex.split(line, comments=True)
            if len(words) < 2 or words[0] != "stmcheck" or words[1] not in ("check", "replay", "explore"):
                continue
            if not any(w.startswith("examples/") for w in words):
                continue
            args = []
            for w in words[1:]:
                if any(c in w for c in "*?["):   # the shell would expand it
                    matches = sorted(glob.glob(os.path.join(REPO, w)))
                    assert matches, f"{w} matches no shipped file"
                    args.extend(os.path.relpath(p, REPO) for p in matches)
                else:
                    args.append(w)
            out.append(args)
    return out


COMMANDS = readme_commands()


def test_the_readme_runs_examples_of_every_kind():
    named = {w for args in COMMANDS for w in args if w.startswith("examples/")}
    kinds = {os.path.splitext(w)[1] for w in named}
    assert {".json", ".jsonl", ".log"} <= kinds, named
    assert any("linearizability" in args for args in COMMANDS)


@pytest.mark.parametrize("args", COMMANDS, ids=[" ".join(a) for a in COMMANDS])
def test_readme_command_runs(args, monkeypatch):
    monkeypatch.chdir(REPO)
    result = CliRunner().invoke(main, args, prog_name="stmcheck")
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code in (0, 1), result.output
    assert "Traceback" not in result.output


def test_every_file_the_readme_names_is_shipped():
    for name in ("etcd_000.log", "c50-ok.txt", "history.json", "run.jsonl", "big.jsonl"):
        assert not re.search(r"(?<![/\w])" + re.escape(name), README), name
    for path in set(re.findall(r"\bexamples/[\w.+-]+", README)):
        assert os.path.isfile(os.path.join(REPO, path)), path


def test_examples_are_small():
    for path in glob.glob(os.path.join(REPO, "examples", "*")):
        assert os.path.getsize(path) < 8192, path


def test_formats_doc_is_self_contained():
    assert "shared/spec" not in FORMATS and "/work/shared" not in FORMATS
    assert '"operations"' in FORMATS and "stmcheck.ophistory/1" in FORMATS
    example = next(b for b in re.findall(r"```json\n(.*?)```", FORMATS, re.S) if "stmcheck.ophistory/1" in b)
    doc = json.loads(example)
    assert doc["operations"] and {"client", "op", "args", "call", "return", "result"} <= set(doc["operations"][0])
    for model in ("register", "cas-register", "counter", "queue", "stack", "set", "kv", "bank", "list", "dict"):
        assert f"| `{model}` |" in FORMATS, model


def test_writing_a_design_states_the_semantics_users_asked_about():
    section = README.split("### Writing a design", 1)[1].split("\n## ", 1)[0]
    assert "wait_any" in section and "scheduled" in section
    assert "`Abort` raised in `begin`" in section
    assert "holder" in section and "0 when" in section
