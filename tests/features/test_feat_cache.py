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


def test_miss_then_hit(tmp_path):
    fake = Fake()
    first = C.extract(RECORDS, fake, tmp_path, chunk_size=2, progress=False)
    assert not first.hit and fake.seen == 5 and fake.max_chunk == 2
    assert first.stack().shape == (5, 3) and first.ids == RECORDS
    np.testing.assert_array_equal(first[3], [4, 4, 4])
    second = C.extract(RECORDS, fake, tmp_path, chunk_size=2, progress=False)
    assert second.hit and fake.seen == 5  # nothing recomputed
    np.testing.assert_array_equal(second.stack(), first.stack())
    assert second.path == first.path and len(list((tmp_path / "fake").iterdir())) == 1


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
    assert list((tmp_path / "fake").iterdir()) == []  # neither an entry nor temporary files
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


def test_corrupt_entries_are_detected(tmp_path):
    entry = C.extract(RECORDS, Fake(), tmp_path, chunk_size=2, progress=False).path
    np.save(entry / "chunk_00001.npy", np.zeros((2, 4), np.float32))
    with pytest.raises(C.CacheShapeError, match="chunk_00001"):
        C.extract(RECORDS, Fake(), tmp_path, chunk_size=2, progress=False)
    (entry / "chunk_00001.npy").unlink()
    with pytest.raises(C.CacheError, match="force=True"):
        C.extract(RECORDS, Fake(), tmp_path, chunk_size=2, progress=False)
    assert C.extract(RECORDS, Fake(), tmp_path, chunk_size=2, force=True, progress=False).stack().shape == (
        5,
        3,
    )


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
    assert list((tmp_path / "fake").iterdir()) == []


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
