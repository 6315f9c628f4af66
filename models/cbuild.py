"""Compiling C with the system compiler into a per-user cache (shared helper).

Why here: the native STM core (implementations/native/build.py), the fast
JSON Lines reader (models/jsonl_fast.py), the native linearizability
search (checker/linearizability/native.py), the graph search's fold of
views (checker/explore/strategies/foldcore.c) and the acyclicity search of
history checks (checker/history/acyclic_core.c) all build C at first use (the
last four through `OnDemand`, which calls `load_library` once), and
models/ may import nothing from checker/ or implementations/, so the common
part lives at the bottom of the import graph. It knows nothing of its users:
where the cache is, how a build is keyed (a hash of the sources, the compiler
and the flags, so a change rebuilds and nothing else does), how a library
is compiled atomically (a temporary file renamed into place, so concurrent
first uses never load half a file), and which stale builds are pruned.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import time

#: What stmcheck builds in the cache (native cores, the libitm workload, the JSON Lines reader,
#: the linearizability search, the fold of views, the acyclicity search); only these are ever pruned, since other tools may share the cache folder.
PRUNE_PREFIXES = ("native-", "itm-", "jsonl-", "lincore-", "foldcore-", "acycore-")
PRUNE_AGE = 24 * 3600  # seconds a build may go unused before it is pruned


class BuildError(RuntimeError):
    """A C build failed; the text says why, in one line."""


def find_compiler() -> str | None:
    """The C compiler: $CC (if found), else cc, gcc or clang on PATH; None when there is none."""
    cc = os.environ.get("CC")
    if cc:
        return cc if shutil.which(cc.split()[0]) else None
    for name in ("cc", "gcc", "clang"):
        if shutil.which(name):
            return name
    return None


def cache_root() -> str:
    """`$STMCHECK_CACHE`, else `$XDG_CACHE_HOME/stmcheck`, else `~/.cache/stmcheck`."""
    root = os.environ.get("STMCHECK_CACHE")
    if root:
        return root
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "stmcheck")


def digest(paths, extra) -> str:
    """A short hash of the named files' names and contents and of `extra` (compiler, flags...)."""
    h = hashlib.sha256()
    for path in paths:
        h.update(os.path.basename(path).encode() + b"\0")
        with open(path, "rb") as f:
            h.update(f.read())
    h.update(repr(extra).encode())
    return h.hexdigest()[:16]


def compile_into(cc: str, args: list, out: str, what: str = "C code", error=BuildError) -> None:
    """Run `cc args -o out` through a temporary file renamed into place; raise `error` (one line) on failure."""
    os.makedirs(os.path.dirname(out), exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(out), prefix=".tmp-")
    os.close(fd)
    cmd = cc.split() + list(args) + ["-o", tmp]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    except (OSError, subprocess.SubprocessError) as exc:
        os.unlink(tmp)
        raise error(f"cannot run the C compiler {cc!r}: {getattr(exc, 'strerror', None) or exc}") from None
    if proc.returncode != 0:
        os.unlink(tmp)
        errors = [line for line in proc.stderr.splitlines() if "error" in line] or proc.stderr.splitlines()
        first = errors[0].strip() if errors else f"exit status {proc.returncode}"
        raise error(f"building {what} with {cc!r} failed: {first}")
    os.replace(tmp, out)


def load_library(source: str, cdef: str, prefix: str, what: str, cflags=("-O2", "-fPIC", "-shared")):
    """(ffi, lib): `source`, one C file, built once into the cache as `<prefix>-<hash>.so` (the
    hash covers the source, compiler, flags and declarations) and loaded with cffi's ABI mode
    (no Python headers needed); where the cache cannot be written, a private folder in the
    temporary directory. The declarations are parsed once too, into `<prefix>-<hash>.py` beside
    it (cffi's out-of-line ABI mode, `_ffi_module`): parsing them at each load imported cffi's C
    parser, 16 ms of the 20 ms a first read of a 10^3-transaction history took here. Raises
    BuildError saying why not: STMCHECK_NO_NATIVE set, no cffi, no compiler, a failed build."""
    if os.environ.get("STMCHECK_NO_NATIVE"):
        raise BuildError("disabled by STMCHECK_NO_NATIVE")
    try:
        import cffi
    except ImportError:
        raise BuildError("cffi is not installed") from None
    cc = find_compiler()
    if cc is None:
        raise BuildError("no C compiler found")
    name = f"{prefix}-{digest([source], (cc, tuple(cflags), cdef, sys.platform))}.so"
    error = None
    for root in (cache_root(), os.path.join(tempfile.gettempdir(), f"stmcheck-{os.getuid()}")):
        out = os.path.join(root, name)
        try:
            built = not os.path.exists(out)
            if built:
                compile_into(cc, list(cflags) + [source], out, what=what)
            declared = out[:-len(".so")] + ".py"
            ffi = _ffi_module(cffi, cdef, declared).ffi
            mark_used(declared)
            mark_used(out, prune_others=built)
            return ffi, ffi.dlopen(out)
        except OSError as exc:  # the folder cannot be written: try the next one
            error = exc
    raise BuildError(str(error))


class OnDemand:
    """A C library built and loaded at its first use, once: `get()` is (ffi, lib), or None
    where it cannot be built here (`error` then says why; the caller's Python loop runs)."""

    def __init__(self, source: str, cdef: str, prefix: str, what: str, cflags=("-O2", "-fPIC", "-shared")):
        self.source, self.cdef, self.prefix, self.what, self.cflags = source, cdef, prefix, what, tuple(cflags)
        self.error: str | None = None
        self._tried = False
        self._loaded = None

    def fresh(self) -> "OnDemand":
        """The same library, not loaded yet: as a new process would find it (tests)."""
        return OnDemand(self.source, self.cdef, self.prefix, self.what, self.cflags)

    def get(self):
        if not self._tried:
            self._tried = True
            try:
                self._loaded = load_library(self.source, self.cdef, self.prefix, self.what, self.cflags)
            except (BuildError, OSError) as exc:
                self.error = str(exc)
        return self._loaded


def _ffi_module(cffi, cdef: str, path: str):
    """The module cffi writes for `cdef` (out-of-line ABI mode: the declarations parsed, as data),
    written once to `path` (atomically, as a build) and imported from there."""
    name = "_stmcheck_" + os.path.basename(path)[:-len(".py")].replace("-", "_")
    if not os.path.exists(path):
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".tmp-", suffix=".py")
        os.close(fd)
        try:
            from cffi.recompiler import make_py_source   # (emit_python_code says so on stdout)
            builder = cffi.FFI()
            builder.cdef(cdef)
            make_py_source(builder, name, tmp)
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def mark_used(path: str, prune_others: bool = False) -> None:
    """Mark a build (folder or file) as in use (its mtime); after a new build, prune the stale ones."""
    try:
        os.utime(path)
    except OSError:
        pass
    if prune_others:
        prune(os.path.dirname(path), keep=(os.path.basename(path),))


def prune(root: str | None = None, keep=(), max_age: float = PRUNE_AGE, now: float | None = None) -> list:
    """Remove builds under `root` unused (mtime) for `max_age` seconds; their names.

    Only names starting with `PRUNE_PREFIXES` are candidates, never those in
    `keep`. Each is renamed to a hidden name before it is deleted, so nobody
    sees half a build; every error is ignored (a build in use elsewhere is at
    worst rebuilt).
    """
    root = root or cache_root()
    now = time.time() if now is None else now
    removed = []
    try:
        names = sorted(os.listdir(root))
    except OSError:
        return removed
    for name in names:
        path = os.path.join(root, name)
        if name in keep or not name.startswith(PRUNE_PREFIXES):
            continue
        try:
            if os.path.islink(path) or now - os.stat(path).st_mtime < max_age:
                continue
            trash = os.path.join(root, f".trash-{name}-{os.getpid()}")
            os.rename(path, trash)
        except OSError:
            continue  # gone already, or not ours to move
        _remove(trash)
        removed.append(name)
    for name in names:  # leftovers of a pruner that died between rename and delete
        if name.startswith(".trash-"):
            path = os.path.join(root, name)
            try:
                if now - os.stat(path).st_mtime >= max_age:
                    _remove(path)
            except OSError:
                pass
    return removed


def _remove(path: str) -> None:
    if os.path.isdir(path):
        shutil.rmtree(path, ignore_errors=True)
    else:
        try:
            os.unlink(path)
        except OSError:
            pass
