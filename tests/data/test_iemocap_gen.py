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
from course_lib.data.synthetic import lexicon
from course_lib.data.synthetic.iemocap_gen import (
    CATEGORY_NAMES,
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


def _wav(out: Path, row: dict[str, str]) -> Path:
    session = f"Session{row['session']}"
    return (
        out
        / "IEMOCAP_full_release"
        / session
        / "sentences"
        / "wav"
        / row["dialogue_id"]
        / f"{row['utterance_id']}.wav"
    )


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
        info = soundfile.info(str(_wav(out, row)))
        assert (info.samplerate, info.channels, info.subtype) == (16000, 1, "PCM_16")
        assert info.duration == pytest.approx(float(row["end"]) - float(row["start"]), abs=1e-3)
        assert 0.3 < info.duration < 40.0


def test_turn_texts_follow_valence_and_informativeness(tiny):
    out, _ = tiny
    rows = [r for r in _manifest(out) if r["label"] in IEMOCAP_CLASSES]
    uninformative = [r for r in rows if r["text_informative"] == "0"]
    assert 0.08 < len(uninformative) / len(rows) < 0.4
    assert all(float(r["text_valence"]) == 0.0 for r in uninformative)
    positive = [float(r["valence"]) for r in rows if r["emotion"] in ("hap", "exc")]
    negative = [float(r["valence"]) for r in rows if r["emotion"] in ("ang", "fru", "sad")]
    assert min(positive) > max(negative)
    assert any("[" in r["text"] for r in rows)


def test_arousal_drives_prosody_but_not_the_recording_level(tiny):
    out, _ = tiny
    rows = [r for r in _manifest(out) if r["label"] in IEMOCAP_CLASSES]
    by_speaker = defaultdict(list)
    for r in rows:
        by_speaker[r["speaker"]].append(r)
    for speaker_rows in by_speaker.values():
        arousal = np.array([float(r["arousal_expressed"]) for r in speaker_rows])
        for knob in ("pitch", "rate"):
            values = np.array([float(r[knob]) for r in speaker_rows])
            assert np.corrcoef(arousal, values)[0, 1] > 0.8, knob
        assert len({r["gain"] for r in speaker_rows}) == 1
    arousal_of = defaultdict(list)
    for r in rows:
        arousal_of[r["emotion"]].append(float(r["arousal"]))
    assert np.mean(arousal_of["exc"]) > np.mean(arousal_of["hap"]) + 0.4
    assert np.mean(arousal_of["ang"]) > np.mean(arousal_of["fru"]) + 0.4
    relative_peaks = defaultdict(list)
    for r in rows:
        audio, _ = soundfile.read(str(_wav(out, r)), dtype="float32")
        assert np.max(np.abs(audio)) < 0.9  # peak-normalised below full scale, never clipped
        relative_peaks[r["emotion"]].append(float(np.max(np.abs(audio))) / float(r["gain"]))
    aroused = relative_peaks["ang"] + relative_peaks["exc"]
    assert np.mean(aroused) == pytest.approx(np.mean(relative_peaks["sad"]), rel=0.05)
    for session in {r["session"] for r in rows}:
        assert len({r["noise_db"] for r in rows if r["session"] == session}) == 1


def test_prosody_is_constant_without_arousal_strength_and_valence_leak(tmp_path):
    params = IemocapParams(
        sessions=1,
        dialogues_per_session=2,
        turns_per_dialogue=(6, 8),
        arousal_strength=0.0,
        audio_valence_leak=0.0,
    )
    write_iemocap_corpus(tmp_path, params=params, progress=False)
    rows = _manifest(tmp_path)
    for speaker in {r["speaker"] for r in rows}:
        prosody = {(r["pitch"], r["pitch_range"], r["rate"]) for r in rows if r["speaker"] == speaker}
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
    assert resolve_params("full", noise_db=-40.0).noise_db == -40.0
    with pytest.raises(ValueError, match="preset"):
        resolve_params("huge")
    with pytest.raises(ValueError):
        resolve_params("tiny", not_a_knob=1)
    with pytest.raises(ValueError):
        IemocapParams(sessions=6)
    with pytest.raises(ValueError):
        IemocapParams(priors={"joy": 1.0})
    with pytest.raises(ValueError, match="mic_gain"):
        IemocapParams(mic_gain=(0.5, 1.0))


def test_oracle_scores_report_weighted_f1_per_view(tiny, tmp_path):
    out, _ = tiny
    scores = oracle_scores(out)
    assert set(scores) == {"text", "audio", "both"}
    for view in scores.values():
        assert set(view) == {"valid", "test"}
        assert all(0.0 <= value <= 1.0 for value in view.values())
    mean = {view: np.mean(list(split_scores.values())) for view, split_scores in scores.items()}
    assert mean["both"] > mean["audio"]  # (tiny splits are too small to order "both" and "text" reliably)
    with pytest.raises(FileNotFoundError, match=MANIFEST_NAME):
        oracle_scores(tmp_path)


def _small(tmp_path: Path, name: str, **knobs) -> list[dict[str, str]]:
    params = IemocapParams(sessions=1, dialogues_per_session=4, turns_per_dialogue=(20, 20), **knobs)
    write_iemocap_corpus(tmp_path / name, params=params, progress=False)
    return _manifest(tmp_path / name)


def test_labels_are_the_majority_of_the_rater_votes_written(tiny):
    out, _ = tiny
    rows = {r["utterance_id"]: r for r in _manifest(out)}
    names = {v: k for k, v in CATEGORY_NAMES.items()}
    for path in (out / "IEMOCAP_full_release").glob("Session*/dialog/EmoEvaluation/*.txt"):
        for block in path.read_text(encoding="utf-8").split("\n\n")[1:-1]:
            lines = block.split("\n")
            name, label = TURN.match(lines[0]).groups()
            votes = [names[line.split("\t")[1].split(";")[0]] for line in lines[1:] if line.startswith("C-")]
            assert votes == rows[name]["votes"].split()
            majority = [v for v in votes if votes.count(v) >= 2]
            assert label == (majority[0] if majority else "xxx")
    labels = [r["label"] for r in rows.values()]
    assert 0.1 < labels.count("xxx") / len(labels) < 0.35
    assert (
        np.mean([r["label"] == r["emotion"] for r in rows.values()]) < 0.9
    )  # raters disagree with the actor


def test_rater_noise_zero_gives_unanimous_votes(tmp_path):
    rows = _small(tmp_path, "calm", rater_noise=0.0)
    assert all(len(set(r["votes"].split())) == 1 for r in rows)
    assert not any(r["label"] == "xxx" for r in rows)


def test_words_per_turn_sets_the_durations(tmp_path):
    def mean_duration(rows):
        return np.mean([float(r["end"]) - float(r["start"]) for r in rows])

    short, long = _small(tmp_path, "short", words_per_turn=4.0), _small(tmp_path, "long", words_per_turn=16.0)
    assert mean_duration(long) > 2.5 * mean_duration(short)


def _arousal_word_score(text: str) -> int:
    words = text.lower().replace("!", " ! ").replace(".", " ").replace(",", " ").split()
    aroused = (
        set(lexicon.INTENSIFIERS)
        | set(lexicon.FEELINGS[("neg", "high")])
        | set(lexicon.FEELINGS[("pos", "high")])
    )
    calm = (
        set(lexicon.FEELINGS[("neg", "low")])
        | set(lexicon.FEELINGS[("pos", "low")])
        | {"a", "bit", "maybe", "kind"}
    )
    return sum(w in aroused or w == "!" for w in words) - sum(w in calm for w in words)


@pytest.mark.parametrize("leak, expected", [(0.0, (-0.25, 0.25)), (1.0, (0.3, 1.0))])
def test_text_arousal_leak_moves_arousal_into_the_words(tmp_path, leak, expected):
    rows = _small(tmp_path, "leak", text_arousal_leak=leak, uninformative_text=0.0, text_specificity=0.0)
    scores = [_arousal_word_score(r["text"]) for r in rows]
    correlation = np.corrcoef([float(r["arousal"]) for r in rows], scores)[0, 1]
    assert expected[0] < correlation < expected[1]


def test_audio_valence_leak_moves_valence_into_the_voice(tmp_path):
    for leak in (0.0, 1.0):
        rows = _small(tmp_path, f"voice{leak}", arousal_strength=0.0, audio_valence_leak=leak)
        for speaker in {r["speaker"] for r in rows}:
            mine = [r for r in rows if r["speaker"] == speaker]
            ranges = np.array([float(r["pitch_range"]) for r in mine])
            if leak == 0.0:
                assert ranges.std() == 0
            else:
                valence = [float(r["valence_expressed"]) for r in mine]
                assert np.corrcoef(valence, ranges)[0, 1] > 0.9


def test_scripts_recur_across_sessions_while_improvised_turns_do_not(tiny):
    out, _ = tiny
    rows = _manifest(out)
    texts = defaultdict(set)
    for r in rows:
        texts[(r["scripted"], r["dialogue_id"].split("_", 1)[1], r["session"])].add(r["text"])
    first = {key[:2]: text for key, text in texts.items() if key[2] == "1"}
    for (scripted, name, session), text in texts.items():
        if session != "1" and (scripted, name) in first:
            shared = len(text & first[scripted, name]) / len(text)
            assert shared == 1.0 if scripted == "1" else shared < 0.2
