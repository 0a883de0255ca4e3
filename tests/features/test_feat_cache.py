"""The feature cache: hit, miss, invalidation, interrupted writes, shapes and skipped records."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from course_lib.data.records import Post
from course_lib.features import cache as C
from course_lib.features.audio import AudioFeatures


@dataclass
class Fake:
    """A fixed-shape (or variable-length) extractor that counts what it computes."""

    scale: float = 1.0
    variable_length: bool = False
    fail_on: str | None = None
    calls: int = 0
    seen: int = 0
    max_chunk: int = 0

    name = "fake"

    def config_dict(self) -> dict:
        return {"scale": self.scale, "variable": self.variable_length}

    def __call__(self, records):
        self.calls += 1
        self.seen += len(records)
        self.max_chunk = max(self.max_chunk, len(records))
        out = []
        for record in records:
            if self.fail_on is not None and record == self.fail_on:
                raise ValueError(f"cannot process {record}")
            value = float(len(record)) * self.scale
            rows = len(record) if self.variable_length else None
            out.append(np.full((rows, 3) if rows else (3,), value, dtype=np.float32))
        return out


RECORDS = ["a", "bb", "ccc", "dddd", "eeeee"]


def _visible(folder: Path, hidden: bool = False) -> list[str]:
    """Names in ``folder``: entries only, or (``hidden``) also lock and temporary files."""
    return sorted(p.name for p in folder.iterdir() if hidden or not p.name.startswith("."))


def test_miss_then_hit(tmp_path):
    fake = Fake()
    first = C.extract(RECORDS, fake, tmp_path, chunk_size=2, progress=False)
    assert not first.hit and fake.seen == 5 and fake.max_chunk == 2
    assert first.stack().shape == (5, 3) and first.ids == RECORDS
    np.testing.assert_array_equal(first[3], [4, 4, 4])
    second = C.extract(RECORDS, fake, tmp_path, chunk_size=2, progress=False)
    assert second.hit and fake.seen == 5  # nothing recomputed
    np.testing.assert_array_equal(second.stack(), first.stack())
    assert second.path == first.path and _visible(tmp_path / "fake") == [first.path.name]


def test_config_and_inputs_change_the_key(tmp_path):
    base = C.extract(RECORDS, Fake(), tmp_path, progress=False)
    other_config = C.extract(RECORDS, Fake(scale=2.0), tmp_path, progress=False)
    other_inputs = C.extract(RECORDS[:4], Fake(), tmp_path, progress=False)
    reordered = C.extract(RECORDS[::-1], Fake(), tmp_path, progress=False)
    assert not (other_config.hit or other_inputs.hit or reordered.hit)
    assert len({base.path, other_config.path, other_inputs.path, reordered.path}) == 4
    np.testing.assert_array_equal(other_config[0], [2, 2, 2])


def test_modified_file_invalidates_the_entry(tmp_path, wav_files, make_tone):
    import soundfile as sf

    extractor = AudioFeatures(kind="mfcc", pooled="meanstd")
    first = C.extract(wav_files, extractor, tmp_path / "cache", progress=False)
    assert C.extract(wav_files, extractor, tmp_path / "cache", progress=False).hit
    sf.write(wav_files[1], make_tone(1.0, 700), 16_000, subtype="FLOAT")
    os.utime(wav_files[1], ns=(1, 1_000_000_000))  # a different mtime even on coarse clocks
    changed = C.extract(wav_files, extractor, tmp_path / "cache", progress=False)
    assert not changed.hit and changed.path != first.path
    assert not np.allclose(changed[1], first[1]) and np.allclose(changed[0], first[0])


def test_content_identity_survives_a_touch(tmp_path, wav_files):
    extractor = AudioFeatures(kind="logmel", pooled="meanstd")
    C.extract(wav_files, extractor, tmp_path / "cache", identity="content", progress=False)
    os.utime(wav_files[0], ns=(5, 5_000_000_000))
    assert C.extract(wav_files, extractor, tmp_path / "cache", identity="content", progress=False).hit
    assert not C.extract(wav_files, extractor, tmp_path / "cache", identity="stat", progress=False).hit


def test_record_identity_of_dataclasses(tmp_path):
    image = tmp_path / "1.jpg"
    image.write_bytes(b"abc")
    post = Post("1", "nice day", image, "positive", "positive", "positive")
    before = C.record_identity(post)
    assert C.record_identity(Post("1", "nice day!", image, "positive", "positive", "positive")) != before
    image.write_bytes(b"abcd")
    assert C.record_identity(post) != before
    assert C.record_id(post, 0) == "1"


def test_force_recomputes(tmp_path):
    fake = Fake()
    C.extract(RECORDS, fake, tmp_path, progress=False)
    again = C.extract(RECORDS, fake, tmp_path, force=True, progress=False)
    assert not again.hit and fake.seen == 10
    assert C.extract(RECORDS, fake, tmp_path, progress=False).hit


def test_interrupted_write_leaves_no_entry(tmp_path):
    fake = Fake(fail_on="dddd")
    with pytest.raises(ValueError, match="cannot process dddd"):
        C.extract(RECORDS, fake, tmp_path, chunk_size=2, progress=False)
    assert fake.calls == 2  # the first chunk was written before the failure
    assert _visible(tmp_path / "fake", hidden=True) == [f".{C.cache_key(RECORDS, Fake())[:24]}.lock"]
    fixed = C.extract(RECORDS, Fake(), tmp_path, chunk_size=2, progress=False)
    assert not fixed.hit and len(fixed) == 5


def test_leftovers_of_a_killed_run_are_ignored_and_removed(tmp_path):
    key = C.cache_key(RECORDS, Fake())[:24]
    stale = tmp_path / "fake" / f".{key}.tmp-999999999-deadbeef"
    stale.mkdir(parents=True)
    np.save(stale / "chunk_00000.npy", np.zeros((2, 3), np.float32))  # half-written, no meta.json
    result = C.extract(RECORDS, Fake(), tmp_path, progress=False)
    assert not result.hit and not stale.exists() and len(result) == 5


def test_expected_shape_mismatch_is_a_clear_error(tmp_path):
    C.extract(RECORDS, Fake(), tmp_path, progress=False)
    with pytest.raises(C.CacheShapeError, match=r"\(3,\).*\(4,\).*force=True"):
        C.extract(RECORDS, Fake(), tmp_path, expected_shape=(4,), progress=False)
    assert C.extract(RECORDS, Fake(), tmp_path, expected_shape=(3,), progress=False).hit


@pytest.mark.parametrize("damage", ["wrong chunk shape", "missing chunk", "garbled meta.json"])
def test_an_unreadable_entry_is_recomputed_once_with_a_warning(tmp_path, damage):
    entry = C.extract(RECORDS, Fake(), tmp_path, chunk_size=2, progress=False).path
    if damage == "wrong chunk shape":
        np.save(entry / "chunk_00001.npy", np.zeros((2, 4), np.float32))
    elif damage == "missing chunk":
        (entry / "chunk_00001.npy").unlink()
    else:
        (entry / "meta.json").write_text("{")
    fake = Fake()
    with pytest.warns(UserWarning, match="recomputing this cache entry"):
        again = C.extract(RECORDS, fake, tmp_path, chunk_size=2, progress=False)
    assert not again.hit and fake.seen == 5 and again.stack().shape == (5, 3)
    assert C.extract(RECORDS, fake, tmp_path, chunk_size=2, progress=False).hit and fake.seen == 5
    assert _visible(tmp_path / "fake") == [entry.name]


def test_variable_length_round_trip(tmp_path):
    result = C.extract(RECORDS, Fake(variable_length=True), tmp_path, chunk_size=2, progress=False)
    assert result.item_shape == (None, 3)
    assert [result[i].shape for i in range(5)] == [(n, 3) for n in range(1, 6)]
    assert result.lengths.tolist() == [1, 2, 3, 4, 5]
    assert set(result.as_dict()) == set(RECORDS)
    with pytest.raises(C.CacheError, match="stacked"):
        result.stack()
    meta = json.loads((result.path / "meta.json").read_text())
    assert meta["config"] == {"scale": 1.0, "variable": True}
    assert all(p.suffix in (".npy", ".json") for p in result.path.iterdir())  # no pickles


def test_inconsistent_item_shapes_are_refused(tmp_path):
    class Ragged(Fake):
        def __call__(self, records):
            return [np.zeros(len(r), np.float32) for r in records]

    with pytest.raises(C.CacheShapeError, match="different shapes"):
        C.extract(RECORDS, Ragged(), tmp_path, progress=False)
    assert _visible(tmp_path / "fake") == []


def test_skipped_records_are_counted_and_reported(tmp_path):
    with pytest.warns(UserWarning, match="skipped 1 of 5"):
        result = C.extract(
            RECORDS, Fake(fail_on="ccc"), tmp_path, chunk_size=2, on_error="skip", progress=False
        )
    assert result.ids == ["a", "bb", "dddd", "eeeee"]
    assert list(result.skipped) == ["ccc"] and "cannot process ccc" in result.skipped["ccc"]
    np.testing.assert_array_equal(result.stack()[:, 0], [1, 2, 4, 5])


def test_audio_frames_are_cached_and_reloaded_exactly(tmp_path, wav_files):
    extractor = AudioFeatures(kind="logmel")
    direct = extractor(wav_files)
    cached = C.extract(
        wav_files, extractor, tmp_path, chunk_size=2, expected_shape=(None, 64), progress=False
    )
    reloaded = C.extract(wav_files, extractor, tmp_path, chunk_size=2, progress=False)
    assert reloaded.hit
    for a, b in zip(direct, reloaded):
        np.testing.assert_array_equal(a, b)
    assert [Path(i).name for i in cached.ids] == [p.name for p in wav_files]


@dataclass
class SlowCounting(Fake):
    """A slow extractor that appends one line to ``log`` per computed record (visible across processes)."""

    log: str = ""

    def __call__(self, records):
        import time

        with open(self.log, "a") as handle:
            handle.write("".join(f"{r}\n" for r in records))
        time.sleep(0.3)
        return super().__call__(records)


def _extract_in_child(cache_dir: str, log: str, queue) -> None:
    features = C.extract(RECORDS, SlowCounting(log=log), cache_dir, chunk_size=1, progress=False)
    queue.put((str(features.path), features.stack().tolist(), features.hit))


def test_two_processes_extracting_the_same_features_get_the_same_entry(tmp_path):
    import multiprocessing

    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    log = str(tmp_path / "computed.log")
    workers = [context.Process(target=_extract_in_child, args=(str(tmp_path), log, queue)) for _ in range(3)]
    for worker in workers:
        worker.start()
    results = [queue.get(timeout=60) for _ in workers]
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0
    assert len({path for path, _, _ in results}) == 1
    assert all(values == results[0][1] for _, values, _ in results)
    assert sorted(hit for _, _, hit in results) == [False, True, True], "one writer, the others reuse"
    assert Path(log).read_text().splitlines() == RECORDS, "every record computed exactly once"


def test_a_sigkill_mid_extraction_leaves_no_corrupt_entry_and_no_held_lock(tmp_path):
    import multiprocessing
    import signal
    import time

    log = tmp_path / "computed.log"
    context = multiprocessing.get_context("fork")
    child = context.Process(target=_extract_in_child, args=(str(tmp_path), str(log), context.Queue()))
    child.start()
    deadline = time.monotonic() + 30
    while not (log.exists() and len(log.read_text().splitlines()) >= 2) and time.monotonic() < deadline:
        time.sleep(0.05)
    os.kill(child.pid, signal.SIGKILL)
    child.join()
    assert _visible(tmp_path / "fake") == [], "no entry without meta.json"
    fresh = C.extract(RECORDS, Fake(), tmp_path, progress=False)  # the lock died with the process
    assert not fresh.hit and len(fresh) == 5
    assert not [p for p in (tmp_path / "fake").iterdir() if ".tmp-" in p.name]


def test_a_read_only_cache_reads_finished_entries_and_explains_missing_ones(tmp_path, monkeypatch):
    from course_lib import fsutil

    done = C.extract(RECORDS, Fake(), tmp_path, progress=False)

    def refuse(path, *args, **kwargs):
        raise OSError(30, "Read-only file system", str(path))

    monkeypatch.setattr(fsutil, "open", refuse, raising=False)
    assert C.extract(RECORDS, Fake(), tmp_path, progress=False).path == done.path
    with pytest.raises(C.CacheError, match="COURSE_CACHE_DIR"):
        C.extract(RECORDS[:2], Fake(), tmp_path, progress=False)
