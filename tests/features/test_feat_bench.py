"""The feature benchmark runs end to end at a tiny scale and prints its table."""

from __future__ import annotations

import argparse

from course_lib.features import bench


def test_benchmark_prints_a_row_per_extractor_and_backend(capsys, tmp_path):
    parser = argparse.ArgumentParser()
    bench.add_arguments(parser)
    args = parser.parse_args(
        [
            "--synthetic",
            "--n",
            "6",
            "--seconds",
            "0.5",
            "--sample",
            "6",
            "--repeats",
            "1",
            "--extractors",
            "logmel,stats",
            "--librosa-limit",
            "2",
            "--cache-dir",
            str(tmp_path / "cache"),
        ]
    )
    assert bench.run(args) == 0
    lines = capsys.readouterr().out.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("extractor"))
    rows = [line.split() for line in lines[header + 2 :] if line.strip()]
    assert [(r[0], r[1]) for r in rows] == [
        ("stft", "torch"),
        ("logmel", "torchaudio"),
        ("logmel", "librosa"),
        ("stats", "torchaudio"),
    ]
    assert [int(r[2]) for r in rows] == [6, 6, 2, 6]
    assert all(float(r[-1]) > 0 for r in rows)  # peak RSS
    assert (tmp_path / "cache" / "audio-logmel").is_dir()
