"""Top-level corpus writer: corpus.json written last, regeneration rules, the three corpora together."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from course_lib.data.synthetic import corpora, iemocap_gen
from course_lib.data.synthetic.corpora import (
    CORPUS_FILE,
    GENERATOR_VERSION,
    check_folder,
    ensure_corpora,
    make_corpora,
    read_corpus_record,
)
from course_lib.data.synthetic.iemocap_gen import IemocapParams


@pytest.fixture
def fake_writers(monkeypatch):
    """Replace the three writers by fast fakes that record their calls."""
    calls: list[tuple[str, str, int]] = []

    def fake(name: str):
        def write(out_dir, preset, seed, progress=True):
            calls.append((name, preset, seed))
            folder = Path(out_dir) / corpora.CORPORA[name][2][0]
            folder.mkdir(parents=True, exist_ok=True)
            (folder / "items.txt").write_text(f"{name} {preset} {seed}\n")
            return {"items": 3, "seconds": 0.123}

        return write

    originals = dict(corpora.CORPORA)
    for name in originals:
        monkeypatch.setattr(f"{__name__}._fake_{name}", fake(name), raising=False)
        monkeypatch.setitem(corpora.CORPORA, name, (__name__, f"_fake_{name}", originals[name][2]))
    return calls


def test_make_corpora_writes_corpus_json_without_timings(tmp_path, fake_writers):
    result = make_corpora(tmp_path, preset="tiny", seed=7, progress=False)
    record = read_corpus_record(tmp_path)
    assert record == {k: v for k, v in result.items() if k not in ("seconds", "generated")}
    assert result["generated"] and record["files"]["count"] == 3
    assert record["preset"] == "tiny" and record["seed"] == 7
    assert record["generator_version"] == GENERATOR_VERSION
    assert record["corpora"]["iemocap"] == {"items": 3}
    assert set(result["seconds"]) == {"iemocap", "mmsa", "mvsa"}
    assert [c[0] for c in fake_writers] == ["iemocap", "mmsa", "mvsa"]


def test_ensure_corpora_regenerates_only_when_needed(tmp_path, fake_writers):
    assert ensure_corpora(tmp_path, preset="tiny", seed=1, progress=False) == tmp_path
    assert len(fake_writers) == 3
    ensure_corpora(tmp_path, preset="tiny", seed=1, progress=False)
    assert len(fake_writers) == 3
    ensure_corpora(tmp_path, preset="tiny", seed=2, progress=False)
    assert len(fake_writers) == 6
    record = json.loads((tmp_path / CORPUS_FILE).read_text())
    record["generator_version"] = "0"
    (tmp_path / CORPUS_FILE).write_text(json.dumps(record))
    ensure_corpora(tmp_path, preset="tiny", seed=2, progress=False)
    assert len(fake_writers) == 9
    make_corpora(tmp_path, preset="tiny", seed=2, progress=False, only=["mvsa"])
    ensure_corpora(tmp_path, preset="tiny", seed=2, progress=False)  # incomplete set -> regenerate
    assert len(fake_writers) == 13


def test_ensure_corpora_default_folder_follows_the_data_dir(tmp_path, monkeypatch, fake_writers):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    assert ensure_corpora(preset="tiny", seed=0, progress=False) == tmp_path / "corpora" / "tiny"
    assert (tmp_path / "corpora" / "tiny" / CORPUS_FILE).is_file()


def test_interrupted_generation_keeps_the_previous_corpus_and_leaves_no_leftovers(
    tmp_path, fake_writers, monkeypatch
):
    out = tmp_path / "corpus"
    make_corpora(out, seed=1, progress=False)

    def broken(out_dir, preset, seed, progress=True):
        raise RuntimeError("disk full")

    monkeypatch.setattr(f"{__name__}._fake_mmsa", broken, raising=False)
    with pytest.raises(RuntimeError, match="disk full"):
        make_corpora(out, seed=2, progress=False)
    assert check_folder(out, content=True).holds("tiny", 1, list(corpora.CORPORA))
    assert sorted(p.name for p in tmp_path.iterdir()) == [".corpus.lock", "corpus"]


def test_first_generation_interrupted_leaves_nothing(tmp_path, fake_writers, monkeypatch):
    monkeypatch.setattr(f"{__name__}._fake_mvsa", lambda *a, **k: 1 / 0, raising=False)
    with pytest.raises(ZeroDivisionError):
        make_corpora(tmp_path / "corpus", progress=False)
    assert not (tmp_path / "corpus").exists()
    assert [p.name for p in tmp_path.iterdir()] == [".corpus.lock"]


def test_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="preset"):
        make_corpora(tmp_path, preset="medium")
    with pytest.raises(ValueError, match="corpora"):
        make_corpora(tmp_path, only=["imdb"])


def test_only_iemocap_is_deterministic_and_a_regeneration_leaves_no_stale_files(
    tree_hash, tmp_path, monkeypatch
):
    small = IemocapParams(sessions=1, dialogues_per_session=2, turns_per_dialogue=(4, 6))
    monkeypatch.setitem(iemocap_gen.PRESETS, "tiny", small)
    make_corpora(tmp_path / "a", seed=0, progress=False, only=("iemocap",))
    make_corpora(tmp_path / "b", seed=0, progress=False, only=("iemocap",))
    assert tree_hash(tmp_path / "a") == tree_hash(tmp_path / "b")
    assert check_folder(tmp_path / "a", content=True).intact
    make_corpora(tmp_path / "a", seed=1, progress=False, only=("iemocap",))
    make_corpora(tmp_path / "a", seed=0, progress=False, only=("iemocap",))  # nothing of seed 1 remains
    assert tree_hash(tmp_path / "a") == tree_hash(tmp_path / "b")


@pytest.mark.slow
def test_all_three_corpora_are_written_and_readable(tmp_path):
    from course_lib.data import iemocap, mmsa, mvsa

    result = make_corpora(tmp_path, preset="tiny", seed=0, progress=False)
    assert set(result["corpora"]) == {"iemocap", "mmsa", "mvsa"}
    assert iemocap.load(tmp_path, check_audio=False)
    assert sum(len(v) for v in mmsa.load(tmp_path / "MOSI" / "aligned_50.pkl").values()) > 0
    assert mvsa.load(tmp_path, "single") and mvsa.load(tmp_path, "multiple")
    assert read_corpus_record(tmp_path)["corpora"]["iemocap"]["turns"] == len(
        iemocap.utterances(iemocap.load(tmp_path, check_audio=False))
    )


def test_dataset_dir_prefers_the_real_data(tmp_path, fake_writers):
    from course_lib.runtime import setup

    run = setup("smoke", data_dir=str(tmp_path), offline=True, verbose=False)
    generated = corpora.dataset_dir(run, "iemocap", progress=False)
    assert generated == run.corpora_dir / "IEMOCAP_full_release"
    assert len(fake_writers) == 3
    real = tmp_path / "IEMOCAP_full_release"
    real.mkdir()
    assert corpora.dataset_dir(run, "iemocap", progress=False) == real
    assert corpora.dataset_dir(run, "mosi", progress=False) == run.corpora_dir / "MOSI"
    assert len(fake_writers) == 3, "complete corpora are not generated again"
    with pytest.raises(ValueError, match="unknown dataset"):
        corpora.dataset_dir(run, "meld")


def test_concurrent_ensure_generates_once(tmp_path, fake_writers):
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=4) as pool:
        folders = list(pool.map(lambda _: ensure_corpora(tmp_path / "c", seed=5, progress=False), range(4)))
    assert folders == [tmp_path / "c"] * 4
    assert len(fake_writers) == 3, "the lock lets exactly one caller generate"
