"""``python -m course_lib data make|info`` and ``bench corpora``."""

from __future__ import annotations

import argparse
import re

import pytest

from course_lib.data import cli
from course_lib.data.synthetic import bench, iemocap_gen
from course_lib.data.synthetic.iemocap_gen import IemocapParams

SMALL = IemocapParams(sessions=5, dialogues_per_session=1, turns_per_dialogue=(4, 6))


@pytest.fixture
def small_tiny(monkeypatch):
    monkeypatch.setitem(iemocap_gen.PRESETS, "tiny", SMALL)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser()
    cli.register(parser.add_subparsers(dest="command", required=True))
    return parser


def test_make_parses_options_and_writes_the_chosen_corpora(tmp_path, capsys, small_tiny):
    args = _parser().parse_args(
        [
            "data",
            "make",
            "--preset",
            "tiny",
            "--out",
            str(tmp_path),
            "--seed",
            "3",
            "--only",
            "iemocap",
            "--quiet",
        ]
    )
    assert (args.preset, args.seed, args.only) == ("tiny", 3, ["iemocap"])
    assert args.func(args) == 0
    assert "wrote iemocap (tiny, seed 3)" in capsys.readouterr().out
    assert (tmp_path / "corpus.json").is_file() and (tmp_path / "IEMOCAP_full_release").is_dir()
    with pytest.raises(SystemExit):
        _parser().parse_args(["data", "make", "--preset", "medium"])


def test_make_defaults_to_the_data_dir(tmp_path, monkeypatch, small_tiny):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    args = _parser().parse_args(["data", "make", "--only", "iemocap", "--quiet"])
    assert args.func(args) == 0
    assert (tmp_path / "corpora" / "tiny" / "corpus.json").is_file()


def test_info_prints_counts_per_split_class_and_speaker(tmp_path, capsys, small_tiny):
    args = _parser().parse_args(["data", "make", "--out", str(tmp_path), "--only", "iemocap", "--quiet"])
    args.func(args)
    capsys.readouterr()
    args = _parser().parse_args(["data", "info", str(tmp_path)])
    assert args.func(args) == 0
    out = capsys.readouterr().out
    assert "preset tiny, seed 0" in out
    header = re.search(r"IEMOCAP .*: 5 dialogues, (\d+) turns", out)
    assert header
    rows = {
        m.group(1): [int(x) for x in m.group(2).split()]
        for m in re.finditer(r"^\s+(train|valid|test)\s+([\d ]+)$", out, flags=re.MULTILINE)
    }
    assert set(rows) == {"train", "valid", "test"}
    assert sum(r[-1] for r in rows.values()) == int(header.group(1))
    assert all(sum(r[:-1]) == r[-1] for r in rows.values())
    assert "turns per speaker: Ses01_F" in out and "duration: total" in out


def test_info_on_a_folder_without_corpora(tmp_path, capsys):
    args = _parser().parse_args(["data", "info", str(tmp_path)])
    assert args.func(args) == 1
    assert "no IEMOCAP, MMSA or MVSA corpus" in capsys.readouterr().out
    args = _parser().parse_args(["data", "info", str(tmp_path / "missing")])
    assert args.func(args) == 1


def test_bench_prints_time_size_classes_and_oracle(tmp_path, capsys, small_tiny):
    parser = argparse.ArgumentParser()
    bench.add_arguments(parser)
    args = parser.parse_args(["--presets", "tiny", "--only", "iemocap", "--out", str(tmp_path)])
    assert bench.run(args) == 0
    out = capsys.readouterr().out
    assert re.search(r"iemocap\s+[\d.]+ s\s+[\d.]+ MB", out)
    assert "oracle weighted F1 (both latents)" in out
    assert (tmp_path / "tiny" / "corpus.json").is_file()


@pytest.mark.slow
def test_make_if_missing_generates_once(tmp_path, capsys, small_tiny):
    args = _parser().parse_args(["data", "make", "--out", str(tmp_path), "--if-missing", "--quiet"])
    assert args.func(args) == 0
    record = tmp_path / "corpus.json"
    first = record.stat().st_mtime_ns
    assert args.func(args) == 0
    assert record.stat().st_mtime_ns == first, "a complete corpus must not be regenerated"
    assert "ready in" in capsys.readouterr().out


def test_stats_and_probe_print_one_json_object_per_corpus_found(tmp_path, capsys):
    import json

    from course_lib.__main__ import main
    from course_lib.data.synthetic.mvsa_gen import write_mvsa_corpus

    write_mvsa_corpus(tmp_path, "tiny", seed=0, progress=False)
    assert main(["data", "stats", str(tmp_path), "--json"]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert set(stats) == {"mvsa_single", "mvsa_multiple"}
    assert main(["data", "probe", str(tmp_path), "--json"]) == 0
    probe = json.loads(capsys.readouterr().out)
    assert {"text", "image", "fused"} <= set(probe["mvsa_single"]["test"])
    assert main(["data", "stats", str(tmp_path)]) == 0
    assert "mvsa_single:" in capsys.readouterr().out
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["data", "probe", str(empty)]) == 1
    assert main(["data", "probe", str(tmp_path / "missing")]) == 2
