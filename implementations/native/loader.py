"""Loading the built native libraries through cffi (ABI mode).

Why ABI mode (`dlopen`) rather than cffi's API mode: it needs a C compiler
only for our own shared libraries, not Python's headers, and the C side
stays an ordinary library a user can also link from C.
"""

from __future__ import annotations

import os

from .build import HERE, NativeUnavailable, build

_ffi = None
_libs: dict = {}

BUILTIN = ("native-tl2", "native-norec", "native-tl2-no-read-validation", "native-tl2-no-commit-validation")


def ffi():
    """The one cffi FFI, declared from stm_api.h (its '#' lines dropped)."""
    global _ffi
    if _ffi is None:
        try:
            import cffi
        except ImportError:
            raise NativeUnavailable("native designs need the Python package cffi (pip install 'cffi>=1.15')") from None
        with open(os.path.join(HERE, "stm_api.h"), encoding="utf-8") as f:
            text = "\n".join(line for line in f.read().splitlines() if not line.lstrip().startswith("#"))
        _ffi = cffi.FFI()
        _ffi.cdef(text)
    return _ffi


def split_design(spec: str) -> tuple[str, str | None, str | None]:
    """`native-tl2` -> (name, None, None); `path/my_stm.c:sym` -> ("user", path, sym)."""
    if spec in BUILTIN:
        return spec, None, None
    path, sep, symbol = spec.rpartition(":")
    if sep and path.endswith(".c"):
        return "user", path, symbol
    raise NativeUnavailable(f"unknown native design {spec!r} (expected one of {', '.join(BUILTIN)}, "
                            "or FILE.c:SYMBOL for your own C design)")


def load(variant: str, spec: str = "native-tl2"):
    """(lib, design name inside it) for `variant` "controlled", "free" or "noisy"."""
    name, source, symbol = split_design(spec)
    key = (variant, source and os.path.abspath(source), symbol)
    if key not in _libs:
        paths = build(source, symbol)
        try:
            _libs[key] = ffi().dlopen(paths[variant])
        except OSError as exc:
            raise NativeUnavailable(f"cannot load the native core {paths[variant]}: {exc}") from None
    return _libs[key], name


def available() -> str | None:
    """None when the native core builds and loads here, else the one-line reason."""
    try:
        load("controlled")
        load("free")
    except NativeUnavailable as exc:
        return str(exc)
    return None
