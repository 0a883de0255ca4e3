"""A small explicit registry of model builders, so notebooks and widgets can list choices.

Builders are plain functions registered under a kind (``"text"``, ``"audio"``,
``"fusion"``, ``"msa"`` for the whole-clip sentiment models of the MOSI/MOSEI
lessons) and a name::

    @register("fusion", "concat")
    def build_concat(input_dims, **options): ...

    available("fusion")                     # ['concat', 'add', ...]
    build("fusion", "concat", input_dims={"text": 128, "audio": 64})

The course's own builders live in :mod:`course_lib.models.text`,
:mod:`course_lib.models.audio`, :mod:`course_lib.models.fusion`,
:mod:`course_lib.models.mult`, :mod:`course_lib.models.baselines` and
:mod:`course_lib.models.mvsa` (kind ``"mvsa"``), :mod:`course_lib.models.seq2seq`; they are
imported the first time :func:`available` or :func:`build` is called.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

KINDS: tuple[str, ...] = ("text", "audio", "fusion", "msa")
_BUILTIN_MODULES = (
    "course_lib.models.text",
    "course_lib.models.audio",
    "course_lib.models.fusion",
    "course_lib.models.mult",
    "course_lib.models.baselines",
    "course_lib.models.mvsa",
    "course_lib.models.seq2seq",
    "course_lib.models.selfmm",
)
_REGISTRY: dict[str, dict[str, Callable[..., Any]]] = {kind: {} for kind in KINDS}


def register(kind: str, name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorator registering ``builder`` as ``name`` of ``kind`` (a new kind is created on first use).

    Raises:
        ValueError: when the name is already taken for that kind.
    """

    def decorator(builder: Callable[..., Any]) -> Callable[..., Any]:
        builders = _REGISTRY.setdefault(kind, {})
        if name in builders and builders[name] is not builder:
            raise ValueError(f"a {kind} builder named {name!r} is already registered")
        builders[name] = builder
        return builder

    return decorator


def _load_builtins() -> None:
    for module in _BUILTIN_MODULES:
        importlib.import_module(module)


def kinds() -> list[str]:
    """Every kind with a registry."""
    _load_builtins()
    return list(_REGISTRY)


def available(kind: str) -> list[str]:
    """Names registered for ``kind``, in registration order.

    Raises:
        KeyError: for an unknown kind.
    """
    _load_builtins()
    if kind not in _REGISTRY:
        raise KeyError(f"unknown model kind {kind!r}; known kinds: {sorted(_REGISTRY)}")
    return list(_REGISTRY[kind])


def get(kind: str, name: str) -> Callable[..., Any]:
    """The builder registered as ``name`` of ``kind``.

    Raises:
        KeyError: naming the available choices when ``name`` is unknown.
    """
    names = available(kind)
    if name not in names:
        raise KeyError(f"unknown {kind} model {name!r}; available: {names}")
    return _REGISTRY[kind][name]


def build(kind: str, name: str, **kwargs: Any) -> Any:
    """Call the builder registered as ``name`` of ``kind`` with ``kwargs``."""
    return get(kind, name)(**kwargs)
