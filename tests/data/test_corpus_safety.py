"""Corpus generation never loses a learner's data: ownership, locking, damage, read-only folders."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from course_lib import fsutil
from course_lib.__main__ import main
from course_lib.data.synthetic import corpora
from course_lib.data.synthetic.corpora import (
    CorpusFolderError,
    check_folder,
    dataset_dir,
    ensure_corpora,
    make_corpora,
)

ALL = list(corpora.CORPORA)


@pytest.fixture
def fake_writers(monkeypatch):
    """Fast deterministic writers in place of the three generators; records their calls."""
    calls: list[str] = []

    def fake(name: str):
        def write(out_dir, preset, seed, progress=True):
            calls.append(name)
            for relative in corpora.CORPORA[name][2]:
                folder = Path(out_dir) / relative / "part"
                folder.mkdir(parents=True, exist_ok=True)
                (folder / "a.txt").write_text(f"{name} {preset} {seed}\n")
            return {"items": 1}

        return write

    for name in list(corpora.CORPORA):
        paths = corpora.CORPORA[name][2]
        monkeypatch.setattr(f"{__name__}._write_{name}", fake(name), raising=False)
        monkeypatch.setitem(corpora.CORPORA, name, (__name__, f"_write_{name}", paths))
    return calls


def _real_datasets(root: Path) -> list[Path]:
    """The layout the README asks learners to use for the real, licence-gated data."""
    files = [
        root / "IEMOCAP_full_release" / "Session1" / "README_real.txt",
        root / "MOSI" / "my_notes.txt",
        root / "MVSA_Single" / "data" / "1.txt",
    ]
    for path in files:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("the learner's own file\n")
    return files


@pytest.mark.parametrize("replace", ["never", "stale", "always"])
def test_make_into_a_folder_with_real_datasets_refuses_and_deletes_nothing(tmp_path, fake_writers, replace):
    files = _real_datasets(tmp_path)
    with pytest.raises(CorpusFolderError, match=r"IEMOCAP_full_release, MOSI, MVSA_Single"):
        make_corpora(tmp_path, replace=replace, progress=False)
    assert all(path.read_text() == "the learner's own file\n" for path in files)
    assert fake_writers == [], "nothing is generated before the folder is checked"


def test_cli_data_make_over_real_datasets_is_a_one_line_error(tmp_path, fake_writers, capsys):
    files = _real_datasets(tmp_path)
    for flags in ([], ["--if-missing"], ["--force"]):
        assert main(["data", "make", "--out", str(tmp_path), "--quiet", *flags]) == 2
        err = capsys.readouterr().err
        assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err
        assert "holds no generated corpus" in err and str(tmp_path) in err
    assert all(path.exists() for path in files)


def test_ensure_corpora_and_dataset_dir_refuse_a_folder_with_foreign_files(tmp_path, fake_writers):
    from course_lib.runtime import setup

    run = setup("smoke", data_dir=str(tmp_path), offline=True, verbose=False)
    notes = run.corpora_dir / "notes.txt"
    notes.parent.mkdir(parents=True)
    notes.write_text("mine")
    with pytest.raises(CorpusFolderError, match="notes.txt"):
        ensure_corpora(run.corpora_dir, preset="tiny", progress=False)
    with pytest.raises(CorpusFolderError, match="notes.txt"):
        dataset_dir(run, "mosi", progress=False)
    assert notes.read_text() == "mine"


def test_a_foreign_file_inside_a_generated_corpus_is_refused_and_kept(tmp_path, fake_writers):
    make_corpora(tmp_path, seed=0, progress=False)
    mine = tmp_path / "MOSI" / "my_notes.txt"
    mine.write_text("mine")
    assert check_folder(tmp_path).foreign == ["MOSI/my_notes.txt"]
    for replace in ("never", "stale", "always"):
        with pytest.raises(CorpusFolderError, match="MOSI/my_notes.txt"):
            make_corpora(tmp_path, seed=3, replace=replace, progress=False)
    assert mine.read_text() == "mine"


def test_cli_make_keeps_an_identical_corpus_and_needs_force_for_another(tmp_path, fake_writers, capsys):
    out = str(tmp_path / "c")
    assert main(["data", "make", "--out", out, "--quiet"]) == 0
    assert main(["data", "make", "--out", out, "--quiet"]) == 0
    assert "already complete" in capsys.readouterr().out and len(fake_writers) == 3
    assert main(["data", "make", "--out", out, "--seed", "4", "--quiet"]) == 2
    assert "pass --force" in capsys.readouterr().err
    assert corpora.read_corpus_record(out)["seed"] == 0
    assert main(["data", "make", "--out", out, "--seed", "4", "--if-missing", "--quiet"]) == 0
    assert corpora.read_corpus_record(out)["seed"] == 4 and len(fake_writers) == 6
    assert main(["data", "make", "--out", out, "--seed", "4", "--force", "--quiet"]) == 0
    assert len(fake_writers) == 9
    assert main(["data", "make", "--out", out, "--seed", "-1", "--quiet"]) == 2
    assert "--seed must be a non-negative" in capsys.readouterr().err


def test_legacy_corpus_without_a_manifest_is_regenerated_by_ensure(tmp_path, fake_writers):
    (tmp_path / "MOSI").mkdir()
    (tmp_path / "MOSI" / "aligned_50.pkl").write_bytes(b"old")
    (tmp_path / corpora.CORPUS_FILE).write_text('{"preset": "tiny", "seed": 0, "generator_version": "1"}')
    check = check_folder(tmp_path)
    assert check.record is not None and not check.foreign and not check.intact
    ensure_corpora(tmp_path, progress=False)
    assert check_folder(tmp_path).holds("tiny", 0, ALL) and len(fake_writers) == 3


@pytest.mark.parametrize("damage", ["deleted", "truncated", "altered"])
def test_a_damaged_generated_corpus_is_detected_and_regenerated(tmp_path, fake_writers, damage, capsys):
    make_corpora(tmp_path, progress=False)
    victim = tmp_path / "MVSA" / "part" / "a.txt"
    original = victim.read_text()
    if damage == "deleted":
        victim.unlink()
    elif damage == "truncated":
        victim.write_text(original[:3])
    else:
        victim.write_text(original.upper())  # same size: only the content check sees it
    assert ("MVSA/part/a.txt" in check_folder(tmp_path).damaged) == (damage != "altered")
    assert check_folder(tmp_path, content=True).damaged == ["MVSA/part/a.txt"]
    assert main(["data", "verify", str(tmp_path)]) == 1
    assert "MVSA/part/a.txt" in capsys.readouterr().out
    if damage == "altered":
        make_corpora(tmp_path, replace="always", progress=False)
    else:
        ensure_corpora(tmp_path, progress=False)
    assert victim.read_text() == original
    assert main(["data", "verify", str(tmp_path)]) == 0
    assert "intact: 7 files" in capsys.readouterr().out  # one per path a writer owns


SLOW_WRITER = textwrap.dedent(
    """
    import time
    from pathlib import Path

    def write(out_dir, preset, seed, progress=True):
        folder = Path(out_dir) / "FAKE"
        for i in range(60):
            part = folder / f"part{i // 10}"
            part.mkdir(parents=True, exist_ok=True)
            (part / f"{i}.txt").write_text(f"{preset} {seed} {i}\\n" * 50)
            time.sleep(0.02)
        return {"files": 60}
    """
)

RUN_CLI = textwrap.dedent(
    """
    import sys
    from course_lib.data.synthetic import corpora
    from course_lib.__main__ import main
    corpora.CORPORA.clear()
    corpora.CORPORA["fake"] = ("slow_writer", "write", ("FAKE",))
    sys.exit(main(["data", "make", "--out", sys.argv[1], "--quiet"]))
    """
)


@pytest.mark.slow
@pytest.mark.parametrize("delay", [0.0, 0.4, 1.5, 5.0])
def test_two_data_make_runs_started_0_to_5_s_apart_end_with_a_complete_verified_corpus(tmp_path, delay):
    (tmp_path / "slow_writer.py").write_text(SLOW_WRITER)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), *sys.path])}
    out = tmp_path / "corpus"
    command = [sys.executable, "-c", RUN_CLI, str(out)]
    first = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(delay)
    second = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    outputs = [process.communicate(timeout=120) for process in (first, second)]
    assert [first.returncode, second.returncode] == [0, 0], outputs
    check = check_folder(out, content=True)
    assert check.intact and check.record["files"]["count"] == 60
    assert sum("already complete" in stdout for stdout, _ in outputs) == 1, "exactly one run generated"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".corpus")) == [".corpus.lock"]


@pytest.fixture
def read_only(monkeypatch):
    """Make folders read-only, also for root (who ignores permission bits): writes under them fail."""
    roots: list[Path] = []

    def under(path: Path) -> bool:
        path = Path(path).absolute()
        return any(path == root or root in path.parents for root in roots)

    real_open, real_access = open, os.access

    def guarded_open(path, *args, **kwargs):
        mode = args[0] if args else kwargs.get("mode", "r")
        if under(Path(path)) and any(flag in mode for flag in "wax+"):
            raise OSError(30, "Read-only file system", str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(fsutil, "open", guarded_open, raising=False)
    monkeypatch.setattr(
        fsutil.os, "access", lambda p, m: False if under(Path(p)) and m & os.W_OK else real_access(p, m)
    )

    def make(folder: Path) -> Path:
        roots.append(Path(folder).absolute())
        for path in [folder, *Path(folder).rglob("*")]:
            path.chmod(path.stat().st_mode & ~0o222)
        return folder

    yield make
    for root in roots:
        for path in [root, *root.rglob("*")]:
            path.chmod(path.stat().st_mode | 0o200)


def test_a_read_only_complete_data_folder_works(tmp_path, fake_writers, read_only, monkeypatch, capsys):
    from course_lib.runtime import resolve_cache_dir, setup

    data = tmp_path / "data"
    ensure_corpora(data / "corpora" / "tiny", progress=False)
    read_only(data)
    monkeypatch.delenv("COURSE_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "home-cache"))
    run = setup("smoke", data_dir=str(data), offline=True, verbose=False)
    assert dataset_dir(run, "iemocap", progress=False) == run.corpora_dir / "IEMOCAP_full_release"
    assert ensure_corpora(run.corpora_dir, progress=False) == run.corpora_dir
    assert main(["data", "make", "--out", str(run.corpora_dir), "--if-missing", "--quiet"]) == 0
    assert resolve_cache_dir(data) == tmp_path / "home-cache" / "course_lib" / "cache"
    assert run.results_path.parent == tmp_path / "home-cache" / "course_lib" / "results"
    assert len(fake_writers) == 3, "nothing regenerated"


def test_a_read_only_folder_without_corpora_is_a_clear_error(tmp_path, fake_writers, read_only):
    (tmp_path / "ro").mkdir()
    read_only(tmp_path / "ro")
    with pytest.raises(CorpusFolderError, match="COURSE_DATA_DIR"):
        ensure_corpora(tmp_path / "ro" / "tiny", progress=False)


def test_paths_with_spaces_and_non_ascii_characters_work(tmp_path, fake_writers, capsys):
    out = tmp_path / "my data" / "Café ünïcode" / "tiny"
    assert main(["data", "make", "--out", str(out), "--quiet"]) == 0
    assert main(["data", "verify", str(out)]) == 0
    assert check_folder(out).holds("tiny", 0, ALL)


def test_a_variant_is_recorded_and_requested_variants_regenerate_a_corpus_without_them(
    tmp_path, fake_writers, monkeypatch
):
    seen: list[tuple] = []

    def mmsa_writer(out_dir, preset, seed, progress=True, variants=()):
        seen.append(tuple(variants))
        for folder in ("MOSI", *(f"MOSI_{v}" for v in variants)):
            (Path(out_dir) / folder).mkdir()
            (Path(out_dir) / folder / "aligned_50.pkl").write_bytes(b"x")
        return {"variants": list(variants)}

    monkeypatch.setattr(f"{__name__}._write_mmsa", mmsa_writer, raising=False)
    ensure_corpora(tmp_path, progress=False)
    ensure_corpora(tmp_path, progress=False, variants=["nobias"])
    assert seen == [(), ("nobias",)] and (tmp_path / "MOSI_nobias").is_dir()
    assert corpora.read_corpus_record(tmp_path)["variants"] == ["nobias"]
    ensure_corpora(tmp_path, progress=False)  # a corpus with more variants than asked for is kept
    assert len(seen) == 2
    with pytest.raises(ValueError, match="unknown variant"):
        make_corpora(tmp_path, variants=["noisy"])
    with pytest.raises(ValueError, match="belongs to the 'mmsa' corpus"):
        make_corpora(tmp_path, only=["mvsa"], variants=["nobias"])
