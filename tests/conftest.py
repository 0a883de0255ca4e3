"""Shared test configuration: headless plotting, hub offline, smoke mode."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("COURSE_SMOKE", "1")

#: Videos (users) per split and clips per video of :func:`small_mmsa`.
SMALL_MMSA_LAYOUT = {
    "train": {"tr1": 6, "tr2": 6, "tr3": 6},
    "valid": {"va1": 8},
    "test": {"te1": 9, "te2": 8},
}
WORDS = ("the film was great", "a dull and boring plot", "i loved the acting", "not good at all", "okay")


def write_small_mmsa(folder: Path, seed: int = 0) -> Path:
    """A small word-aligned MMSA pickle in the real layout (MiniLM token ids, 5-d audio, 20-d vision).

    Each video's labels carry its own offset, so per-user adaptation has something to find.
    """
    from transformers import AutoTokenizer

    from course_lib.features.assets import minilm_dir

    tokenizer = AutoTokenizer.from_pretrained(str(minilm_dir()))
    rng = np.random.default_rng(seed)
    content = {}
    for split, videos in SMALL_MMSA_LAYOUT.items():
        texts, ids, labels = [], [], []
        for number, (video, count) in enumerate(videos.items()):
            for clip in range(count):
                texts.append(WORDS[(clip + number) % len(WORDS)])
                ids.append(f"{video}$_${clip}")
                labels.append(float(np.clip(rng.normal(0.5 * number - 0.5, 1.0), -3, 3)))
        encoded = tokenizer(texts, padding="max_length", max_length=50, truncation=True)
        text_bert = np.stack(
            [np.array(encoded[k]) for k in ("input_ids", "attention_mask", "token_type_ids")], axis=1
        ).astype(np.int64)
        mask = text_bert[:, 1, :, None].astype(np.float32)
        content[split] = {
            "raw_text": texts,
            "text_bert": text_bert,
            "audio": (rng.normal(3.0, 2.0, (len(texts), 50, 5)) * mask).astype(np.float32),
            "vision": (rng.normal(0.0, 1.0, (len(texts), 50, 20)) * mask).astype(np.float32),
            "id": ids,
            "regression_labels": np.round(np.array(labels, dtype=np.float32) * 3) / 3,
        }
    path = folder / "MOSI" / "aligned_50.pkl"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pickle.dumps(content, protocol=4))
    return path


@pytest.fixture(scope="session")
def small_mmsa(tmp_path_factory) -> Path:
    """Path of a small word-aligned MMSA pickle (see :func:`write_small_mmsa`)."""
    return write_small_mmsa(tmp_path_factory.mktemp("small_mmsa"))


@pytest.fixture(scope="session")
def small_erc_data(tmp_path_factory):
    """A 5-session IEMOCAP-format corpus with 2 short dialogues per session, loaded by the ERC recipe."""
    from course_lib.data.synthetic.iemocap_gen import resolve_params, write_iemocap_corpus
    from course_lib.recipes.erc import load_erc_data

    root = tmp_path_factory.mktemp("erc")
    params = resolve_params("tiny", dialogues_per_session=2, turns_per_dialogue=(6, 8))
    write_iemocap_corpus(root / "corpus", "tiny", seed=3, progress=False, params=params)
    return load_erc_data(root / "corpus", cache_dir=root / "cache")
