"""Caching policies and their registry.

``make_policy(name, **kw)`` builds a policy by name. Policy modules register themselves with
``@register_policy("name")``; the registry imports them lazily on first use, so a listed module
that is absent from an installation does not break the others.
To add policies: create a module in this package, decorate the factories, and list the module in
``_POLICY_MODULES``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from expertflow_runtime.errors import UnknownNameError
from expertflow_runtime.policies.base import BasePolicy, Policy, plan_waves, prefetch_into_layer

_REGISTRY: dict[str, Callable[..., Policy]] = {}
_POLICY_MODULES = (
    "expertflow_runtime.policies.baselines",
    "expertflow_runtime.policies.expertflow",
    "expertflow_runtime.policies.references",
)
_loaded = False

# The canonical comparison order (fastest expected first is not implied).
BASELINES = ("all-resident", "on-demand", "static", "lru", "se-moe", "pregated")
# Caches that decide without any routing prediction (the ones ExpertFlow is held against).
NON_PREDICTIVE = ("on-demand", "static", "lru", "lru-global", "lfu", "lfru", "se-moe")
# Reference caches separating ExpertFlow's parts (policies/references.py); belady needs a trace.
REFERENCES = ("lru-global", "lfu", "lfru", "belady")


def register_policy(name: str) -> Callable[[Callable[..., Policy]], Callable[..., Policy]]:
    def deco(factory: Callable[..., Policy]) -> Callable[..., Policy]:
        _REGISTRY[name] = factory
        return factory

    return deco


def _load_modules() -> None:
    global _loaded
    if _loaded:
        return
    for mod in _POLICY_MODULES:
        try:
            importlib.import_module(mod)
        except ModuleNotFoundError as exc:
            if exc.name != mod:  # a real missing dependency inside the module: a bug, surface it
                raise
    _loaded = True


def policy_names() -> list[str]:
    _load_modules()
    return sorted(_REGISTRY)


def policy_factory(name: str) -> Callable[..., Policy]:
    """The registered factory of ``name`` (to read its keyword arguments); UnknownNameError lists
    the registered names."""
    _load_modules()
    if name not in _REGISTRY:
        raise UnknownNameError("policy", name, list(_REGISTRY))
    return _REGISTRY[name]


def make_policy(name: str, **kw) -> Policy:
    """A fresh policy called ``name``; UnknownNameError lists the registered names."""
    return policy_factory(name)(**kw)


__all__ = ["BASELINES", "NON_PREDICTIVE", "REFERENCES", "BasePolicy", "Policy", "make_policy", "plan_waves",
           "policy_factory", "policy_names", "prefetch_into_layer", "register_policy"]
