"""Loading a user's code named on the command line: `path/to/file.py:Name` or `module:Name`.

Why one loader: designs (`stmcheck explore mine.py:Design`) and sequential
specifications (`stmcheck check h.json -c linearizability --model
specs.py:MaxRegister`) are both user code named the same way, and users
expect them to load as `python path/to/file.py` would run the file: its own
folder importable, so it can import a module next to it. Anything that goes
wrong is one line naming the file and the reason (`LoadError`), never a
traceback.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys


class LoadError(ValueError):
    """User code named on the command line cannot be loaded; the message is one line."""


def _importable(folder: str) -> None:
    """Put `folder` first on the import path, as Python does for a script's folder."""
    folder = os.path.abspath(folder)
    if folder not in sys.path:
        sys.path.insert(0, folder)


def load_object(spec: str, what: str = "object"):
    """The object `Name` of `path/to/file.py:Name` (imported from that file, its folder
    importable) or of `module:Name` (an importable module; the current folder is searched
    too). `what` names the object in messages ("design", "model")."""
    path, sep, name = spec.rpartition(":")
    if not sep or not path or not name:
        raise LoadError(f"{spec!r}: expected path/to/file.py:Name or module:Name")
    if path.endswith(".py") or os.sep in path or "/" in path or os.path.exists(path):
        module = _module_from_file(path, spec)
    else:
        _importable(os.getcwd())
        try:
            module = importlib.import_module(path)
        except Exception as exc:  # the user's module: any failure is bad input
            raise LoadError(f"{path}: importing it failed: {type(exc).__name__}: {_one_line(exc)}") from None
    obj = getattr(module, name, None)
    if obj is None:
        raise LoadError(f"{path} defines no {name!r} (the {what} named in {spec!r})")
    return obj


def _module_from_file(path: str, spec: str):
    if os.path.isdir(path):
        raise LoadError(f"{path}: a directory, not a Python file (in {spec!r})")
    if not os.path.isfile(path):
        raise LoadError(f"{path}: no such file (in {spec!r})")
    if not path.endswith(".py"):
        hint = (" (a C design is loaded through a Python class: see implementations/native/design.py)"
                if path.endswith((".c", ".h")) else "")
        raise LoadError(f"{path}: not a Python file (.py){hint}")
    mod_name = "stmcheck_user_" + os.path.splitext(os.path.basename(path))[0].replace("-", "_")
    module_spec = importlib.util.spec_from_file_location(mod_name, path)
    if module_spec is None or module_spec.loader is None:
        raise LoadError(f"{path}: cannot be imported as a Python module")
    module = importlib.util.module_from_spec(module_spec)
    _importable(os.path.dirname(path) or ".")
    sys.modules[mod_name] = module
    try:
        module_spec.loader.exec_module(module)
    except BaseException as exc:  # the user's file: report, never crash (SystemExit included)
        sys.modules.pop(mod_name, None)
        if isinstance(exc, KeyboardInterrupt):
            raise
        raise LoadError(f"{path}: importing it failed: {type(exc).__name__}: {_one_line(exc)}") from None
    return module


def _one_line(exc) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else ""
