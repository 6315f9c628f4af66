"""Building the native core with the system C compiler, into a cache.

Why build at first use rather than at install: the package stays pure
Python (installable where no compiler exists, and everything but the native
commands then works), and the built libraries land in a cache keyed by a hash
of every source, the compiler and the flags, so a rebuild happens only when
one of those changes, and never inside the source tree.

Artefacts (per hash, under `$STMCHECK_CACHE` or `~/.cache/stmcheck/`):
`native-<hash>/controlled.so` (coroutines, instrumented), `free.so` (pthreads,
instrumentation compiled out), `noisy.so` (pthreads, each access a chance of
yielding the CPU: noise injection), and, when `gcc -fgnu-tm` works,
`itm-<hash>/itm_bank` (the libitm workload, a separate program).

Every failure is a `NativeUnavailable` whose text is one line meant for the
user; the CLI prints it and exits 2.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
HEADERS = ("stm.h", "stm_api.h", "stm_rt.h")
COMMON = ("stm_rt.c", "workload.c", "tl2.c", "norec.c")
CFLAGS = ("-std=gnu11", "-O2", "-fPIC", "-shared", "-Wall")
VARIANTS = {
    "controlled": (("-DSTM_CONTROLLED=1",), COMMON + ("controlled.c",)),
    "free": (("-DSTM_CONTROLLED=0", "-pthread"), COMMON + ("stress.c",)),
    "noisy": (("-DSTM_CONTROLLED=0", "-DSTM_NOISE=1", "-pthread"), COMMON + ("stress.c",)),
}
ITM_SOURCES = ("itm_bank.c", "stm_api.h")


class NativeUnavailable(RuntimeError):
    """The native core cannot be built or loaded here; the text says why, in one line."""


def compiler() -> str:
    """The C compiler: $CC, else cc, gcc or clang on PATH."""
    cc = os.environ.get("CC")
    if cc:
        if shutil.which(cc.split()[0]) is None:
            raise NativeUnavailable(f"native designs need a C compiler, but CC={cc!r} was not found")
        return cc
    for name in ("cc", "gcc", "clang"):
        if shutil.which(name):
            return name
    raise NativeUnavailable("native designs need a C compiler (cc, gcc or clang) and none was found on "
                            "PATH; install one (e.g. `apt-get install gcc`) or set CC")


def cache_root() -> str:
    root = os.environ.get("STMCHECK_CACHE")
    if root:
        return root
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "stmcheck")


def _digest(paths, extra) -> str:
    h = hashlib.sha256()
    for path in paths:
        h.update(os.path.basename(path).encode() + b"\0")
        with open(path, "rb") as f:
            h.update(f.read())
    h.update(repr(extra).encode())
    return h.hexdigest()[:16]


def _compile(cc: str, args: list, out: str) -> None:
    """Compile into a temporary file and rename it: concurrent first uses never see half a file."""
    os.makedirs(os.path.dirname(out), exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(out), prefix=".tmp-")
    os.close(fd)
    cmd = cc.split() + list(args) + ["-o", tmp]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    except OSError as exc:
        os.unlink(tmp)
        raise NativeUnavailable(f"cannot run the C compiler {cc!r}: {exc.strerror or exc}") from None
    if proc.returncode != 0:
        os.unlink(tmp)
        errors = [line for line in proc.stderr.splitlines() if "error" in line] or proc.stderr.splitlines()
        first = errors[0].strip() if errors else f"exit status {proc.returncode}"
        raise NativeUnavailable(f"building the native core with {cc!r} failed: {first}")
    os.replace(tmp, out)


def build(user_source: str | None = None, user_symbol: str | None = None) -> dict:
    """Paths of the controlled and free libraries, building them if needed.

    With `user_source` (a C file defining `const stm_design <user_symbol>`),
    the user's design is compiled in and registered under the name "user".
    """
    cc = compiler()
    sources = [os.path.join(HERE, f) for f in HEADERS + COMMON + ("controlled.c", "stress.c")]
    defines = []
    if user_source is not None:
        if not os.path.isfile(user_source):
            raise NativeUnavailable(f"{user_source}: no such C file")
        if not (user_symbol or "").isidentifier():
            raise NativeUnavailable(f"{user_symbol!r} is not a C identifier (expected FILE.c:SYMBOL)")
        sources.append(os.path.abspath(user_source))
        defines = [f"-DSTM_USER_DESIGN={user_symbol}"]
    key = _digest(sources, (cc, CFLAGS, VARIANTS, defines, sys.platform))
    folder = os.path.join(cache_root(), f"native-{key}")
    paths = {}
    for variant, (flags, files) in VARIANTS.items():
        out = os.path.join(folder, f"{variant}.so")
        if not os.path.exists(out):
            args = list(CFLAGS) + list(flags) + defines + [f"-I{HERE}"]
            args += [os.path.join(HERE, f) for f in files]
            if user_source is not None:
                args.append(os.path.abspath(user_source))
            _compile(cc, args, out)
        paths[variant] = out
    return paths


def build_itm() -> str:
    """Path of the libitm workload program (gcc -fgnu-tm), building it if needed."""
    cc = compiler()
    sources = [os.path.join(HERE, f) for f in ITM_SOURCES]
    flags = ("-std=gnu11", "-O2", "-fgnu-tm", "-pthread", "-Wall")
    key = _digest(sources, (cc, flags, sys.platform))
    out = os.path.join(cache_root(), f"itm-{key}", "itm_bank")
    if not os.path.exists(out):
        try:
            _compile(cc, list(flags) + [f"-I{HERE}", os.path.join(HERE, "itm_bank.c")], out)
        except NativeUnavailable as exc:
            raise NativeUnavailable(f"libitm is not usable here (needs gcc with -fgnu-tm and libitm): {exc}") from None
    return out
