"""Lazy package attributes: a package names what it exports and the module defining each, and
the module is imported on first use, so importing the package itself stays cheap."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any


def lazy_getattr(package: str, exports: dict[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` for ``package``: ``exports`` maps a name to the module defining it.

    A name equal to its module's last part (``reports.revision`` for ``revision``) is the module."""

    def __getattr__(name: str) -> Any:
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = importlib.import_module(module)
        return value if module.endswith("." + name) else getattr(value, name)

    return __getattr__
