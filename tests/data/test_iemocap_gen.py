"""The IEMOCAP-like writer: layout, exact line formats, audio, knobs, determinism, oracle."""

from __future__ import annotations

import csv
import re
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
import pytest
import soundfile

from course_lib.data.records import IEMOCAP_CLASSES
from course_lib.data.synthetic.iemocap_gen import (
    MANIFEST_COLUMNS,
    MANIFEST_NAME,
    IemocapParams,
    oracle_scores,
    resolve_params,
    write_iemocap_corpus,
)

TURN = re.compile(
    r"^\[\d+\.\d{4} - \d+\.\d{4}\]\t(Ses0[1-5][FM]_(?:impro|script)\d\d[a-z]?(?:_\d)?_[FM]\d{3})"
    r"\t([a-z]{3})\t\[\d\.\d{4}, \d\.\d{4}, \d\.\d{4}\]$"
)
CATEGORY = re.compile(r"^C-(E[1-4]|[FM]1):\t([A-Z][a-z]+; )*[A-Z][a-z]+;\t\(\)$")
ATTRIBUTE = re.compile(r"^A-E[1-4]:\tval [1-5]; act [1-5]; dom  [1-5];\t\(\)$")
TRANSCRIPT = re.compile(r"^(Ses0[1-5][FM]_\S+_[FM](?:\d{3}|XX0)) \[\d{3}\.\d{4}-\d{3}\.\d{4}\]: \S.*$")

SMALL = IemocapParams(sessions=2, dialogues_per_session=2, turns_per_dialogue=(4, 6))


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("iemocap_tiny")
    return out, write_iemocap_corpus(out, "tiny", seed=0, progress=False)


def _manifest(out: Path) -> list[dict[str, str]]:
    with open(out / MANIFEST_NAME, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _mean_rms(out: Path, rows: list[dict[str, str]]) -> float:
    values = []
    for r in rows:
        wav = (
            out
            / "IEMOCAP_full_release"
            / f"Session{r['session']}"
            / "sentences"
            / "wav"
            / r["dialogue_id"]
            / f"{r['utterance_id']}.wav"
        )
        audio, _ = soundfile.read(str(wav), dtype="float32")
        values.append(float(np.sqrt(np.mean(audio**2))))
    return float(np.mean(values))


def test_tiny_layout_and_summary(tiny):
    out, summary = tiny
    root = out / "IEMOCAP_full_release"
    assert sorted(p.name for p in root.iterdir()) == [f"Session{i}" for i in range(1, 6)]
    assert 150 <= summary["turns"] <= 500
    assert summary["dialogues"] == 25 and summary["speakers"] == 10
    rows = _manifest(out)
    assert len(rows) == summary["turns"]
    assert list(rows[0]) == list(MANIFEST_COLUMNS)
    for session in range(1, 6):
        names = {p.stem for p in (root / f"Session{session}" / "dialog" / "EmoEvaluation").glob("*.txt")}
        assert names == {p.stem for p in (root / f"Session{session}" / "dialog" / "transcriptions").iterdir()}
        assert names == {p.name for p in (root / f"Session{session}" / "sentences" / "wav").iterdir()}
        assert any("_impro" in n for n in names) and any("_script" in n for n in names)
    labels = Counter(r["label"] for r in rows)
    assert set(IEMOCAP_CLASSES) <= set(labels) and labels["xxx"] > 0
    assert labels["neu"] + labels["fru"] > 2 * labels["hap"]  # IEMOCAP-like imbalance
    assert not (out / "IEMOCAP_full_release" / MANIFEST_NAME).exists()


def test_emo_evaluation_files_have_the_exact_format(tiny):
    out, _ = tiny
    rows = {r["utterance_id"]: r for r in _manifest(out)}
    seen = set()
    for path in (out / "IEMOCAP_full_release").glob("Session*/dialog/EmoEvaluation/*.txt"):
        blocks = path.read_text(encoding="utf-8").split("\n\n")
        assert blocks[0] == "% [START_TIME - END_TIME] TURN_NAME EMOTION [V, A, D]"
        assert blocks[-1] == ""
        for block in blocks[1:-1]:
            lines = block.split("\n")
            match = TURN.match(lines[0])
            assert match, lines[0]
            name, label = match.groups()
            assert name.startswith(path.stem + "_") and rows[name]["label"] == label
            categories = [line for line in lines[1:] if line.startswith("C-")]
            attributes = [line for line in lines[1:] if line.startswith("A-")]
            assert len(categories) in (3, 4) and len(attributes) == 3
            assert all(CATEGORY.match(line) for line in categories), categories
            assert all(ATTRIBUTE.match(line) for line in attributes), attributes
            seen.add(name)
    assert seen == set(rows)


def test_transcriptions_and_wavs_match_the_evaluation_times(tiny):
    out, _ = tiny
    rows = {r["utterance_id"]: r for r in _manifest(out)}
    placeholders = 0
    for path in (out / "IEMOCAP_full_release").glob("Session*/dialog/transcriptions/*.txt"):
        for line in path.read_text(encoding="utf-8").splitlines():
            match = TRANSCRIPT.match(line)
            assert match, line
            if match.group(1).endswith("XX0"):
                placeholders += 1
                continue
            row = rows[match.group(1)]
            assert f"[{float(row['start']):08.4f}-{float(row['end']):08.4f}]: {row['text']}" in line
    assert placeholders > 0
    for row in list(rows.values())[::17]:
        session = int(row["session"])
        wav = (
            out
            / "IEMOCAP_full_release"
            / f"Session{session}"
            / "sentences"
            / "wav"
            / row["dialogue_id"]
            / f"{row['utterance_id']}.wav"
        )
        info = soundfile.info(str(wav))
        assert (info.samplerate, info.channels, info.subtype) == (16000, 1, "PCM_16")
        assert info.duration == pytest.approx(float(row["end"]) - float(row["start"]), abs=1e-3)
        assert 0.5 < info.duration < 4.0


def test_turn_texts_follow_valence_and_informativeness(tiny):
    out, _ = tiny
    rows = [r for r in _manifest(out) if r["label"] in IEMOCAP_CLASSES]
    uninformative = [r for r in rows if r["text_informative"] == "0"]
    assert 0.15 < len(uninformative) / len(rows) < 0.45
    assert all(float(r["text_valence"]) == 0.0 for r in uninformative)
    positive = [float(r["valence"]) for r in rows if r["emotion"] in ("hap", "exc")]
    negative = [float(r["valence"]) for r in rows if r["emotion"] in ("ang", "fru", "sad")]
    assert min(positive) > max(negative)
    assert any("[" in r["text"] for r in rows)


def test_arousal_drives_prosody_and_audio_energy(tiny):
    out, _ = tiny
    rows = [r for r in _manifest(out) if r["label"] in IEMOCAP_CLASSES]
    by_speaker = defaultdict(list)
    for r in rows:
        by_speaker[r["speaker"]].append(r)
    for speaker_rows in by_speaker.values():
        arousal = np.array([float(r["arousal_expressed"]) for r in speaker_rows])
        for knob in ("pitch", "rate", "volume"):
            values = np.array([float(r[knob]) for r in speaker_rows])
            assert np.corrcoef(arousal, values)[0, 1] > 0.8, knob
    arousal_of = defaultdict(list)
    for r in rows:
        arousal_of[r["emotion"]].append(float(r["arousal"]))
    assert np.mean(arousal_of["exc"]) > np.mean(arousal_of["hap"]) + 0.4
    assert np.mean(arousal_of["ang"]) > np.mean(arousal_of["fru"]) + 0.4
    loud = [r for r in rows if r["emotion"] in ("ang", "exc")]
    calm = [r for r in rows if r["emotion"] == "sad"]
    assert _mean_rms(out, loud) > 1.3 * _mean_rms(out, calm)


def test_arousal_strength_zero_removes_emotion_from_prosody(tmp_path):
    params = IemocapParams(
        sessions=1, dialogues_per_session=2, turns_per_dialogue=(6, 8), arousal_strength=0.0
    )
    write_iemocap_corpus(tmp_path, params=params, progress=False)
    rows = _manifest(tmp_path)
    for speaker in {r["speaker"] for r in rows}:
        prosody = {
            (r["pitch"], r["pitch_range"], r["rate"], r["volume"]) for r in rows if r["speaker"] == speaker
        }
        assert len(prosody) == 1


def test_full_dominance_makes_each_dialogue_one_emotion(tmp_path):
    params = IemocapParams(
        sessions=2, dialogues_per_session=3, turns_per_dialogue=(6, 8), dominance=1.0, stickiness=0.0
    )
    write_iemocap_corpus(tmp_path, params=params, progress=False)
    rows = _manifest(tmp_path)
    for dialogue in {r["dialogue_id"] for r in rows}:
        emotions = {r["emotion"] for r in rows if r["dialogue_id"] == dialogue}
        assert len(emotions) == 1 and emotions == {
            r["dominant_emotion"] for r in rows if r["dialogue_id"] == dialogue
        }


def test_same_seed_gives_a_byte_identical_tree_and_another_seed_does_not(tree_hash, tmp_path):
    for name, seed in (("a", 3), ("b", 3), ("c", 4)):
        write_iemocap_corpus(tmp_path / name, params=SMALL, seed=seed, progress=False)
    assert tree_hash(tmp_path / "a") == tree_hash(tmp_path / "b")
    assert tree_hash(tmp_path / "a") != tree_hash(tmp_path / "c")


def test_presets_and_bad_parameters():
    assert resolve_params("tiny").dialogues_per_session < resolve_params("full").dialogues_per_session
    assert resolve_params("full", snr_db=10.0).snr_db == 10.0
    with pytest.raises(ValueError, match="preset"):
        resolve_params("huge")
    with pytest.raises(ValueError):
        resolve_params("tiny", not_a_knob=1)
    with pytest.raises(ValueError):
        IemocapParams(sessions=6)
    with pytest.raises(ValueError):
        IemocapParams(priors={"joy": 1.0})


def test_oracle_scores_report_weighted_f1_per_view(tiny, tmp_path):
    out, _ = tiny
    scores = oracle_scores(out)
    assert set(scores) == {"text", "audio", "both"}
    for view in scores.values():
        assert set(view) == {"valid", "test"}
        assert all(0.0 <= value <= 1.0 for value in view.values())
    assert scores["both"]["valid"] > scores["text"]["valid"]
    assert scores["both"]["valid"] > scores["audio"]["valid"]
    with pytest.raises(FileNotFoundError, match=MANIFEST_NAME):
        oracle_scores(tmp_path)
