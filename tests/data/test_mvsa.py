"""MVSA loader: parsing, cleaning rules, decoding, broken images, splits, round trip."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from course_lib.data import mvsa
from course_lib.data.records import MVSA_CLASSES
from course_lib.data.synthetic.mvsa_gen import MVSAPreset, write_mvsa_corpus


def _jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 100, 50)).save(buffer, format="JPEG")
    return buffer.getvalue()


def _tree(root: Path, lines: list[str], annotators: int = 1) -> Path:
    (root / "data").mkdir(parents=True)
    header = "ID\t" + "\t".join(["text,image"] * annotators)
    (root / "labelResultAll.txt").write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    for line in lines:
        post_id = line.split("\t")[0]
        (root / "data" / f"{post_id}.txt").write_text(f"tweet {post_id} #tag", encoding="utf-8")
        (root / "data" / f"{post_id}.jpg").write_bytes(_jpeg())
    return root


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("mvsa")
    return out, write_mvsa_corpus(out, "tiny", seed=3, progress=False)


def test_parse_single_and_multiple_lines():
    assert mvsa.parse_label_line("17\tPositive, neutral", 1) == ("17", [("positive", "neutral")])
    post_id, pairs = mvsa.parse_label_line("9\tnegative,negative\tneutral,negative\tnegative,positive\r\n", 3)
    assert post_id == "9" and pairs[2] == ("negative", "positive")


@pytest.mark.parametrize(
    "line, message",
    [
        ("12", "got 1 field"),
        ("12\tpositive,neutral\tneutral,neutral", "got 3 field"),
        ("12\tpositive", "'text,image'"),
        ("12\thappy,neutral", "unknown label 'happy'"),
        ("../x\tpositive,neutral", "post id"),
    ],
)
def test_malformed_lines_name_file_and_line(line, message):
    with pytest.raises(mvsa.MVSAFormatError, match=message) as info:
        mvsa.parse_label_line(line, 1, "labels.txt", 7)
    assert "labels.txt:7" in str(info.value)


def test_too_few_fields_in_a_file_names_file_and_line(tmp_path):
    root = _tree(tmp_path / "MVSA", ["1\tpositive,positive\tneutral,neutral\tpositive,neutral"], annotators=3)
    with open(root / "labelResultAll.txt", "a", encoding="utf-8") as handle:
        handle.write("2\tpositive,positive\tneutral,neutral\n")
    with pytest.raises(mvsa.MVSAFormatError, match=r"labelResultAll\.txt:3: .*got 3 field"):
        mvsa.load(tmp_path, "multiple")


@settings(max_examples=300, deadline=None)
@given(
    line=st.one_of(
        st.lists(st.sampled_from(list("\t,\r 0123456789abx-_/.") + list(MVSA_CLASSES)), max_size=30).map(
            "".join
        ),
        st.text(max_size=60),
    ),
    annotators=st.sampled_from([1, 3]),
)
def test_label_line_fuzz_only_documented_error(line, annotators):
    try:
        post_id, pairs = mvsa.parse_label_line(line, annotators, "f.txt", 1)
    except mvsa.MVSAFormatError as error:
        assert "f.txt:1" in str(error)
    else:
        assert len(pairs) == annotators and post_id
        assert all(label in MVSA_CLASSES for pair in pairs for label in pair)


@settings(max_examples=200, deadline=None)
@given(
    pairs=st.lists(
        st.tuples(st.sampled_from(MVSA_CLASSES), st.sampled_from(MVSA_CLASSES)), min_size=3, max_size=3
    )
)
def test_resolution_rules_against_a_direct_statement(pairs):
    outcome = mvsa.resolve_labels(pairs)
    texts, images = Counter(p[0] for p in pairs), Counter(p[1] for p in pairs)
    if max(texts.values()) < 2 or max(images.values()) < 2:
        assert outcome == "no_agreement"
        return
    text, image = texts.most_common(1)[0][0], images.most_common(1)[0][0]
    if {text, image} == {"positive", "negative"}:
        assert outcome == "conflicting"
    else:
        assert outcome[:2] == (text, image)
        assert outcome[2] == (image if text == "neutral" else text)


def test_cleaning_rules_on_a_handmade_multiple_tree(tmp_path):
    lines = [
        "1\tpositive,positive\tpositive,neutral\tneutral,positive",  # positive / positive
        "2\tneutral,negative\tneutral,negative\tpositive,neutral",  # neutral text -> negative
        "3\tpositive,negative\tpositive,negative\tpositive,negative",  # conflict -> dropped
        "4\tpositive,neutral\tnegative,neutral\tneutral,neutral",  # text has no majority
        "5\tneutral,neutral\tneutral,neutral\tneutral,neutral",
    ]
    root = _tree(tmp_path / "MVSA", lines, annotators=3)
    report = mvsa.MVSAReport()
    posts = mvsa.load(tmp_path, "multiple", report=report)
    assert [(p.id, p.text_label, p.image_label, p.label) for p in posts] == [
        ("1", "positive", "positive", "positive"),
        ("2", "neutral", "negative", "negative"),
        ("5", "neutral", "neutral", "neutral"),
    ]
    assert (report.conflicting, report.no_agreement, report.kept, report.dropped) == (1, 1, 3, 2)
    assert posts[0].image_path == root / "data" / "1.jpg"


def test_encodings_broken_and_missing_files_are_counted(tmp_path):
    lines = [f"{i}\tpositive,positive" for i in range(1, 8)]
    root = _tree(tmp_path / "MVSA_Single", lines + ["1\tnegative,negative"])
    data = root / "data"
    (data / "2.txt").write_bytes("caf\u00e9 \u00e0 Z\u00fcrich".encode("latin-1"))
    (data / "3.txt").write_bytes("\ufeffsmile \U0001f60a".encode("utf-8"))
    (data / "4.jpg").write_bytes(b"")
    (data / "5.jpg").write_bytes(_jpeg()[:60])
    (data / "6.txt").unlink()
    (data / "7.jpg").unlink()
    report = mvsa.MVSAReport()
    posts = {p.id: p for p in mvsa.load(root, "single", report=report)}
    assert sorted(posts) == ["1", "2", "3"]
    assert posts["2"].text == "caf\u00e9 \u00e0 Z\u00fcrich"
    assert posts["3"].text == "smile \U0001f60a"
    assert report.as_dict() == {
        "label_lines": 8,
        "duplicate_ids": 1,
        "no_agreement": 0,
        "conflicting": 0,
        "missing_text": 1,
        "missing_image": 1,
        "broken_image": 2,
        "undecodable_text": 0,
        "latin1_texts": 1,
        "other_encoding_texts": 0,
        "kept": 3,
    }


@pytest.mark.parametrize(
    "encoding, text",
    [
        ("gbk", "今天天气很好 #happy"),
        ("big5", "今天天氣很好"),
        ("utf-16", "great day \U0001f60a"),
        ("utf-16-le", "great day"),
    ],
)
def test_gbk_and_utf16_tweets_are_decoded_and_counted_apart_from_latin1(tmp_path, caplog, encoding, text):
    root = _tree(tmp_path / "MVSA_Single", ["1\tpositive,positive", "2\tpositive,positive"])
    (root / "data" / "1.txt").write_bytes(text.encode(encoding))
    (root / "data" / "2.txt").write_bytes("caf\u00e9".encode("latin-1"))
    report = mvsa.MVSAReport()
    with caplog.at_level("WARNING", logger="course_lib.data.mvsa"):
        posts = mvsa.load(root, "single", report=report)
    assert [p.text for p in posts] == [text, "caf\u00e9"]
    assert (report.other_encoding_texts, report.latin1_texts, report.kept) == (1, 1, 2)
    assert "1 text file(s) neither UTF-8 nor latin-1: 1.txt (" in caplog.text


def test_tweet_in_undetected_encoding_is_dropped_and_counted(tmp_path, caplog):
    root = _tree(tmp_path / "MVSA_Single", ["1\tpositive,positive", "2\tneutral,neutral"])
    (root / "data" / "2.txt").write_bytes(b"tweet \xff\xfe\xff and \x81\x8d")
    report = mvsa.MVSAReport()
    with caplog.at_level("WARNING", logger="course_lib.data.mvsa"):
        posts = mvsa.load(root, "single", report=report)
    assert [p.id for p in posts] == ["1"]
    assert (report.undecodable_text, report.dropped, report.latin1_texts) == (1, 1, 0)
    assert "undecodable_text=1" in caplog.text and "2.txt (undecodable)" in caplog.text


def test_upper_case_jpg_extension_is_found(tmp_path):
    root = _tree(tmp_path / "MVSA_Single", ["1\tpositive,positive", "2\tnegative,negative"])
    data = root / "data"
    (data / "1.jpg").rename(data / "1.JPG")
    (data / "2.txt").rename(data / "2.TXT")
    report = mvsa.MVSAReport()
    posts = mvsa.load(root, "single", report=report)
    assert [p.image_path.name for p in posts] == ["1.JPG", "2.jpg"] and posts[1].text == "tweet 2 #tag"
    assert report.missing_image == report.missing_text == 0 and report.kept == 2


def test_label_file_with_bom_and_crlf_is_read(tmp_path):
    root = _tree(tmp_path / "MVSA_Single", ["1\tpositive,positive", "2\tnegative,neutral"])
    label_file = root / "labelResultAll.txt"
    label_file.write_bytes(b"\xef\xbb\xbf" + label_file.read_bytes().replace(b"\n", b"\r\n"))
    (root / "data" / "1.txt").write_bytes(b"\xef\xbb\xbfline one\r\nline two\r\n")
    posts = mvsa.load(root, "single")
    assert [(p.id, p.label) for p in posts] == [("1", "positive"), ("2", "negative")]
    assert posts[0].text == "line one\nline two"


def test_paths_with_spaces_and_non_ascii_characters_load_end_to_end(tmp_path):
    root = _tree(tmp_path / "données twitter 推特" / "MVSA_Single", ["1\tpositive,positive"])
    posts = mvsa.load(root.parent, "single")
    assert len(posts) == 1 and posts[0].image_path.is_file() and posts[0].text == "tweet 1 #tag"


def test_missing_label_file_and_bad_variant(tmp_path):
    with pytest.raises(FileNotFoundError, match="labelResultAll.txt"):
        mvsa.load(tmp_path, "single")
    with pytest.raises(ValueError, match="variant"):
        mvsa.load(tmp_path, "double")


def test_round_trip_tiny_gives_documented_counts(tiny):
    out, summary = tiny
    for variant, name in (("single", "MVSA_Single"), ("multiple", "MVSA")):
        report = mvsa.MVSAReport()
        posts = mvsa.load(out, variant, report=report)
        expected = summary[name]["expected"]
        labels = Counter(p.label for p in posts)
        assert report.kept == expected["kept"] == len(posts)
        assert {c: labels[c] for c in MVSA_CLASSES} == {c: expected[c] for c in MVSA_CLASSES}
        for key in ("no_agreement", "conflicting", "broken_image", "latin1_texts"):
            assert getattr(report, key) == expected[key], key
        assert report.broken_image == len(summary[name]["broken_images"]) == 3
        assert report.label_lines == summary[name]["posts"]
        assert report.latin1_texts > 0 and report.conflicting > 0
    assert summary["MVSA"]["expected"]["no_agreement"] > 0


def test_generated_tweets_and_images_look_like_mvsa(tiny):
    out, _ = tiny
    posts = mvsa.load(out, "single")
    texts = " ".join(p.text for p in posts)
    for marker in ("#", "@", "http://t.co/", "\U0001f60a"):
        assert marker in texts
    with Image.open(posts[0].image_path) as image:
        assert image.format == "JPEG" and image.size == (128, 128)


def test_image_brightness_carries_sentiment(tiny):
    out, _ = tiny
    posts = mvsa.load(out, "single")
    brightness: dict[str, list[float]] = {c: [] for c in MVSA_CLASSES}
    for post in posts:
        with Image.open(post.image_path) as image:
            brightness[post.image_label].append(float(np.asarray(image.convert("L")).sum()) / 128 / 128)
    means = {c: sum(v) / len(v) for c, v in brightness.items()}
    assert means["positive"] > means["neutral"] > means["negative"]


def test_same_seed_same_bytes_other_seed_differs(tree_hash, tiny, tmp_path):
    out, summary = tiny
    assert write_mvsa_corpus(tmp_path / "a", "tiny", seed=3, progress=False) == summary
    assert tree_hash(tmp_path / "a") == tree_hash(out)
    write_mvsa_corpus(tmp_path / "b", "tiny", seed=4, progress=False)
    assert tree_hash(tmp_path / "b") != tree_hash(out)


def test_split_posts_is_stratified_disjoint_and_deterministic(tiny):
    posts = mvsa.load(tiny[0], "multiple")
    train, valid, test = mvsa.split_posts(posts, seed=1)
    assert len(train) + len(valid) + len(test) == len(posts)
    assert not ({p.id for p in train} & {p.id for p in test} or {p.id for p in valid} & {p.id for p in test})
    for label in MVSA_CLASSES:
        total = sum(p.label == label for p in posts)
        assert sum(p.label == label for p in test) == int(total * 0.1)
    assert mvsa.split_posts(posts, seed=1) == (train, valid, test)
    assert mvsa.split_posts(posts, seed=2)[2] != test
    with pytest.raises(ValueError, match="ratios"):
        mvsa.split_posts(posts, ratios=(0.5, 0.5, 0.5))


def test_unknown_preset_is_refused(tmp_path):
    with pytest.raises(ValueError, match="preset"):
        write_mvsa_corpus(tmp_path, "huge", seed=0)


def _truth(root: Path) -> list[dict[str, str]]:
    with open(root / "ground_truth.csv", encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_ground_truth_describes_every_post(tiny):
    out, summary = tiny
    for name, variant in (("MVSA_Single", "single"), ("MVSA", "multiple")):
        rows = {row["id"]: row for row in _truth(out / name)}
        assert len(rows) == summary[name]["posts"]
        assert {k: v for k, v in rows.items() if v["broken"]}.keys() == summary[name]["broken_images"].keys()
        for post in mvsa.load(out, variant):
            row = rows[post.id]
            assert (mvsa.read_text(post.image_path.with_suffix(".txt"))[1]) == (row["latin1"] == "1")
            assert row["text_shown"] == (
                row["text_sentiment"] if row["text_informative"] == "1" else "neutral"
            )
            shapes = json.loads(row["shapes"])
            assert shapes and all(0 <= v < 128 for shape in shapes for v in shape[1:])
            assert all(shape[1] <= shape[3] and shape[2] <= shape[4] for shape in shapes)
            cue_text, cue_image = row["text_shown"] == row["latent"], row["image_style"] == row["latent"]
            assert (
                row["informative_cue"]
                == {
                    (True, True): "both",
                    (True, False): "text",
                    (False, True): "image",
                    (False, False): "none",
                }[(cue_text, cue_image)]
            )


def test_shapes_of_the_image_style_are_drawn(tiny):
    kinds = {"positive": {"sun", "smile", "triangle"}, "negative": {"jagged_line", "frown", "rain"}}
    kinds["neutral"] = {"box", "line"}
    for row in _truth(tiny[0] / "MVSA_Single"):
        assert {shape[0] for shape in json.loads(row["shapes"])} <= kinds[row["image_style"]]


def test_prior_sets_the_class_shares_after_cleaning(tmp_path):
    small = MVSAPreset(single_posts=600, multiple_posts=3, truncated_images=0, empty_images=0)
    shares = {}
    for name, prior in (("default", small.prior), ("negative", (0.68, 0.05, 0.27))):
        write_mvsa_corpus(tmp_path / name, "tiny", seed=1, progress=False, params=replace(small, prior=prior))
        labels = Counter(p.label for p in mvsa.load(tmp_path / name, "single"))
        shares[name] = {c: labels[c] / sum(labels.values()) for c in MVSA_CLASSES}
    assert 0.52 < shares["default"]["positive"] < 0.67 and 0.06 < shares["default"]["neutral"] < 0.15
    assert 0.24 < shares["default"]["negative"] < 0.36
    assert shares["negative"]["negative"] > 0.52 and shares["negative"]["positive"] < 0.36


def test_ground_truth_rows_and_shape_boxes(tmp_path):
    write_mvsa_corpus(
        tmp_path, "tiny", seed=2, progress=False, params=MVSAPreset(single_posts=12, multiple_posts=4)
    )
    truth = mvsa.read_ground_truth(tmp_path, "single")
    assert truth is not None and len(truth) == 12
    boxes = mvsa.shape_boxes(next(iter(truth.values())))
    assert boxes and all(len(box) == 5 and 0 <= box[1] <= box[3] <= 127 for box in boxes)
    assert mvsa.shape_boxes({"id": "1", "shapes": ""}) == []
    with pytest.raises(mvsa.MVSAFormatError, match="post 7"):
        mvsa.shape_boxes({"id": "7", "shapes": '[["sun", 1, 2]]'})
    (tmp_path / "MVSA_Single" / mvsa.TRUTH_FILE).write_text("post,latent\n1,positive\n")
    with pytest.raises(mvsa.MVSAFormatError, match="ground_truth.csv"):
        mvsa.read_ground_truth(tmp_path, "single")
    (tmp_path / "MVSA_Single" / mvsa.TRUTH_FILE).unlink()
    assert mvsa.read_ground_truth(tmp_path, "single") is None  # the real release has none
