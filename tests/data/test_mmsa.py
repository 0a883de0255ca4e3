"""MMSA pickle loader: restricted unpickling, validation, cleaning, fuzzing."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from course_lib.data import mmsa


def _split(
    n: int = 2, seq: int = 4, ta: int = 6, tv: int = 5, lengths: bool = True, video: str = "vid"
) -> dict:
    rng = np.random.default_rng(n)
    split = {
        "raw_text": [f"clip {i}" for i in range(n)],
        "text_bert": np.ones((n, 3, seq), dtype=np.int64),
        "audio": rng.normal(size=(n, ta, 5)).astype(np.float32),
        "vision": rng.normal(size=(n, tv, 20)).astype(np.float32),
        "id": [f"{video}{i // 2}$_${i % 2 + 1}" for i in range(n)],
        "annotations": ["Positive"] * n,
        "classification_labels": np.full(n, 2),
        "regression_labels": np.linspace(0.5, 2.0, n).astype(np.float32),
    }
    if lengths:
        split["audio_lengths"] = [ta - 1] * n
        split["vision_lengths"] = [tv] * n
    return split


def _write(path: Path, content, protocol: int = 4) -> Path:
    path.write_bytes(pickle.dumps(content, protocol=protocol))
    return path


def _valid() -> dict:
    return {"train": _split(4), "valid": _split(2, video="val"), "test": _split(2, video="test")}


class _RunsCode:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


def test_valid_pickle_loads_into_samples(tmp_path):
    samples = mmsa.load(_write(tmp_path / "unaligned_50.pkl", _valid()))
    assert {k: len(v) for k, v in samples.items()} == {"train": 4, "valid": 2, "test": 2}
    first = samples["train"][0]
    assert (first.video_id, first.clip_id, first.split) == ("vid0", "1", "train")
    assert first.audio.shape == (5, 5) and first.vision.shape == (5, 20)  # cut to the valid frames
    assert first.text_bert.shape == (3, 4) and first.annotation == "Positive"


def test_code_running_pickle_is_refused_without_running(tmp_path):
    marker = tmp_path / "pwned"
    path = _write(tmp_path / "evil.pkl", {"train": _RunsCode(marker)})
    with pytest.raises(mmsa.UnsafePickleError, match=r"evil\.pkl.*(posix|os|nt)\.system"):
        mmsa.load(path)
    assert not marker.exists()


@pytest.mark.parametrize("obj", [eval, pickle.loads, Path])
def test_other_globals_are_refused(tmp_path, obj):
    with pytest.raises(mmsa.UnsafePickleError, match="refusing"):
        mmsa.read_pickle(_write(tmp_path / "g.pkl", {"x": obj}))


@pytest.mark.parametrize("protocol", [2, 3, 4, 5])
def test_all_pickle_protocols_and_numpy1_names_load(tmp_path, protocol):
    data = pickle.dumps(_valid(), protocol=protocol)
    arrays = mmsa.load_arrays(_write(tmp_path / "p.pkl", _valid(), protocol))
    assert arrays["train"]["audio"].dtype == np.float32
    if protocol == 2:  # numpy 1.x wrote numpy.core.multiarray: rewrite the text GLOBAL opcodes
        old = data.replace(b"numpy._core", b"numpy.core")
        assert old != data
        (tmp_path / "old.pkl").write_bytes(old)
        assert mmsa.load_arrays(tmp_path / "old.pkl")["test"]["id"] == _valid()["test"]["id"]


def test_nonfinite_values_are_zeroed_and_counted(tmp_path):
    content = _valid()
    content["train"]["audio"][0, 0, 2] = -np.inf
    content["train"]["audio"][1, 3, 0] = np.nan
    content["test"]["vision"][0, 0, :3] = np.inf
    report = mmsa.MMSAReport()
    arrays = mmsa.load_arrays(_write(tmp_path / "x.pkl", content), report)
    assert report.nonfinite["train/audio"] == 2 and report.nonfinite["test/vision"] == 3
    assert report.total_nonfinite == 5 and report.samples == {"train": 4, "valid": 2, "test": 2}
    assert arrays["train"]["audio"][0, 0, 2] == 0.0 and np.isfinite(arrays["test"]["vision"]).all()


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda c: c.pop("valid"), r"missing split\(s\) \['valid'\]"),
        (lambda c: c["test"].pop("vision"), r"split 'test': missing key\(s\) \['vision'\]"),
        (lambda c: c["train"].update(audio=np.zeros((4, 5))), r"split 'train' key 'audio': expected 3 dim"),
        (
            lambda c: c["train"].update(text_bert=np.zeros((4, 2, 4))),
            r"'text_bert': expected shape \(N, 3, L\)",
        ),
        (
            lambda c: c["valid"].update(raw_text=["only one"]),
            r"split 'valid' key 'raw_text': 1 entries but 2",
        ),
        (lambda c: c["train"].update(audio_lengths=[9] * 4), r"'audio_lengths': lengths must be whole"),
        (lambda c: c["train"].update(vision=np.full((4, 5, 20), "a")), r"'vision': expected numbers"),
        (lambda c: c["train"].update(id=[1, 2, 3, 4]), r"key 'id': expected a list of strings"),
    ],
)
def test_bad_content_names_file_split_and_key(tmp_path, change, message):
    content = _valid()
    change(content)
    with pytest.raises(mmsa.MMSAFormatError, match=message) as info:
        mmsa.load(_write(tmp_path / "bad.pkl", content))
    assert "bad.pkl" in str(info.value)


def test_not_a_pickle_or_not_a_dict(tmp_path):
    (tmp_path / "junk.pkl").write_bytes(b"this is not a pickle")
    with pytest.raises(mmsa.MMSAFormatError, match=r"junk\.pkl: not a readable pickle"):
        mmsa.load(tmp_path / "junk.pkl")
    with pytest.raises(mmsa.MMSAFormatError, match="expected a dict of splits"):
        mmsa.load(_write(tmp_path / "list.pkl", [1, 2]))


_SEED_BYTES = pickle.dumps(
    {
        "train": _split(2, 3, 3, 2),
        "valid": _split(1, 3, 3, 2, video="val"),
        "test": _split(1, 3, 3, 2, lengths=False, video="test"),
    },
    protocol=4,
)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    edits=st.lists(
        st.tuples(
            st.integers(0, len(_SEED_BYTES) - 1),
            st.integers(0, 255),
            st.sampled_from(["set", "insert", "delete"]),
        ),
        min_size=1,
        max_size=6,
    ),
    cut=st.integers(0, len(_SEED_BYTES)),
)
def test_mutated_pickles_raise_only_documented_errors(tmp_path, edits, cut):
    data = bytearray(_SEED_BYTES[: max(cut, len(_SEED_BYTES) // 2)])
    for position, value, kind in edits:
        position %= max(len(data), 1)
        if kind == "set" and data:
            data[position] = value
        elif kind == "insert":
            data.insert(position, value)
        elif data:
            del data[position]
    path = tmp_path / "mutant.pkl"
    path.write_bytes(bytes(data))
    try:
        samples = mmsa.load(path)
    except mmsa.MMSAError as error:
        assert "mutant.pkl" in str(error)
    else:
        assert set(samples) == set(mmsa.SPLITS)


_VALUES = st.one_of(
    st.none(),
    st.integers(-5, 5),
    st.floats(allow_nan=True),
    st.text(max_size=5),
    st.lists(st.one_of(st.integers(-2, 600), st.text(max_size=3), st.floats()), max_size=5),
    hnp.arrays(
        st.sampled_from([np.float32, np.float64, np.int64, np.bool_, np.dtype("U2")]),
        hnp.array_shapes(min_dims=0, max_dims=4, max_side=6),
    ),
    hnp.arrays(
        object,
        hnp.array_shapes(min_dims=1, max_dims=3, max_side=4),
        elements=st.none() | st.integers(-3, 3) | st.text(max_size=2),
    ),
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    changes=st.lists(
        st.tuples(
            st.sampled_from(mmsa.SPLITS),
            st.sampled_from(sorted(_split(1)) + ["text", "extra"]),
            st.one_of(st.just("delete"), _VALUES),
        ),
        min_size=1,
        max_size=4,
    )
)
def test_structurally_mutated_content_raises_only_format_errors(tmp_path, changes):
    content = _valid()
    for split, key, value in changes:
        if isinstance(value, str) and value == "delete":
            content[split].pop(key, None)
        else:
            content[split][key] = value
    path = _write(tmp_path / "mutant.pkl", content)
    try:
        mmsa.load(path)
    except mmsa.MMSAFormatError as error:
        assert "mutant.pkl" in str(error)


def test_torch_and_pandas_pickles_are_refused_before_anything_runs(tmp_path):
    import pandas as pd
    import torch

    content = _valid()
    content["train"]["audio"] = torch.zeros(4, 6, 5)
    with pytest.raises(mmsa.UnsafePickleError, match=r"torch\.pt\.pkl: refusing to load global torch\."):
        mmsa.load(_write(tmp_path / "torch.pt.pkl", content))
    content["train"]["audio"] = pd.DataFrame({"a": [1.0]})
    with pytest.raises(mmsa.UnsafePickleError, match=r"pandas\.pkl: refusing to load global pandas\."):
        mmsa.load(_write(tmp_path / "pandas.pkl", content))


@pytest.mark.parametrize(
    "key, value", [("regression_labels", 3.5), ("regression_labels", -4.0), ("regression_labels_T", 9.0)]
)
def test_labels_outside_minus_3_to_3_raise_naming_file_split_and_entry(tmp_path, key, value):
    content = _valid()
    labels = np.array([0.5, value, 1.0, -0.5], dtype=np.float32)
    content["train"][key] = labels
    content["train"]["annotations"] = [mmsa.annotation_of(x) for x in labels]
    message = rf"range\.pkl split 'train' key '{key}': 1 label\(s\) outside \[-3, 3\], first entry 1 \(id 'vid0\$_\$2'\)"
    with pytest.raises(mmsa.MMSAFormatError, match=message):
        mmsa.load(_write(tmp_path / "range.pkl", content))


def _with_duplicates() -> dict:
    content = _valid()
    content["train"]["id"][3] = content["train"]["id"][0]  # within a split
    content["test"]["id"][1] = content["train"]["id"][1]  # across splits: a leak
    return content


def test_duplicate_ids_are_counted_and_logged(tmp_path, caplog):
    report = mmsa.MMSAReport()
    with caplog.at_level("WARNING", logger="course_lib.data.mmsa"):
        samples = mmsa.load(_write(tmp_path / "dup.pkl", _with_duplicates()), report)
    assert report.duplicate_ids == {"train": 1, "test": 1} and report.inconsistencies == 2
    assert len(samples["train"]) == 4  # kept, but reported
    assert "dup.pkl: 2 inconsistent segment(s)" in caplog.text
    assert "split 'test' key 'id' entry 1: id 'vid0$_$2' repeats one of split 'train'" in report.examples[1]
    assert "repeated ids: {'train': 1, 'test': 1}" in str(report)


def test_duplicate_ids_raise_in_strict_mode(tmp_path):
    with pytest.raises(
        mmsa.MMSAFormatError, match=r"dup\.pkl split 'train' key 'id' entry 3: id 'vid0\$_\$1'"
    ):
        mmsa.load(_write(tmp_path / "dup.pkl", _with_duplicates()), strict=True)


def test_annotations_contradicting_the_label_are_counted_and_logged(tmp_path, caplog):
    content = _valid()
    content["valid"]["annotations"] = ["Negative", "Neutral"]  # labels 0.5 and 2.0
    content["test"]["regression_labels"] = np.array([0.0, -1.0], dtype=np.float32)
    content["test"]["annotations"] = ["Neutral", "Negative"]
    report = mmsa.MMSAReport()
    with caplog.at_level("WARNING", logger="course_lib.data.mmsa"):
        samples = mmsa.load(_write(tmp_path / "ann.pkl", content), report)
    assert report.annotation_mismatches == {"valid": 2} and "2 inconsistent" in caplog.text
    assert [s.annotation for s in samples["valid"]] == ["Negative", "Neutral"]  # as written
    assert "'Negative' contradicts the regression label 0.5" in report.examples[0]
    with pytest.raises(
        mmsa.MMSAFormatError, match=r"split 'valid' key 'annotations' entry 0 \(id 'val0\$_\$1'\)"
    ):
        mmsa.load(_write(tmp_path / "ann.pkl", content), strict=True)


def test_unknown_annotation_raises(tmp_path):
    content = _valid()
    content["test"]["annotations"] = ["Positive", "great"]
    with pytest.raises(
        mmsa.MMSAFormatError, match=r"split 'test' key 'annotations': unknown value\(s\) \['great'\]"
    ):
        mmsa.load(_write(tmp_path / "ann.pkl", content))


def test_consistent_file_reports_no_inconsistency(tmp_path, caplog):
    report = mmsa.MMSAReport()
    with caplog.at_level("WARNING", logger="course_lib.data.mmsa"):
        mmsa.load(_write(tmp_path / "ok.pkl", _valid()), report, strict=True)
    assert report.inconsistencies == 0 and not report.examples and not caplog.text


def test_path_with_spaces_and_non_ascii_characters_loads(tmp_path):
    folder = tmp_path / "MOSI données 数据"
    folder.mkdir()
    samples = mmsa.load(_write(folder / "aligned 50.pkl", _valid()))
    assert len(samples["train"]) == 4
