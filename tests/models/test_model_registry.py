"""The model registry lists and builds the course's builders."""

from __future__ import annotations

import pytest
from torch import nn

from course_lib.models import registry


def test_builtin_kinds_and_names():
    assert set(registry.KINDS) <= set(registry.kinds())
    assert registry.available("fusion") == [
        "concat",
        "add",
        "cross_attention",
        "paper_cross_attention",
        "late",
        "hybrid",
    ]
    assert {"bilstm", "transformer", "pooled"} <= set(registry.available("text"))
    assert {"simple", "deep"} <= set(registry.available("audio"))


def test_build_returns_configured_module():
    module = registry.build("audio", "deep", input_dim=12, dim=7)
    assert isinstance(module, nn.Module) and module.output_dim == 7


def test_unknown_names_are_reported_with_choices():
    with pytest.raises(KeyError, match="concat"):
        registry.build("fusion", "multiply", input_dims={"text": 4})
    with pytest.raises(KeyError, match="unknown model kind"):
        registry.available("smell")


def test_register_new_kind_and_reject_duplicates():
    @registry.register("test-kind", "identity")
    def build_identity() -> nn.Module:
        return nn.Identity()

    assert registry.available("test-kind") == ["identity"]
    assert isinstance(registry.build("test-kind", "identity"), nn.Identity)
    with pytest.raises(ValueError, match="already registered"):
        registry.register("test-kind", "identity")(lambda: nn.Identity())
