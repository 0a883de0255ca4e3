"""Project files: workflows are valid, environment.yml and the lock agree with pyproject."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
import yaml

from course_lib.runtime import repo_root

tomllib = pytest.importorskip("tomllib")  # Python 3.11+

ROOT = repo_root()


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[ ;@]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def _declared() -> set[str]:
    project = _pyproject()["project"]
    return {_name(r) for r in project["dependencies"] + project["optional-dependencies"]["dev"]}


def _lock() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements" / "lock.txt").read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            name, _, version = line.partition("==")
            pins[_name(name)] = version.strip()
    return pins


def _environment() -> set[str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    names = set()
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            names |= {_name(r) for r in dep.get("pip", []) if not r.startswith("-e")}
        else:
            names.add(_name(dep))
    return names - {"python", "pip"}


def test_lock_pins_every_declared_dependency():
    missing = _declared() - set(_lock())
    assert not missing, f"requirements/lock.txt lacks {sorted(missing)}"


def test_environment_yml_matches_pyproject():
    declared, env = _declared(), _environment()
    assert declared - env == set(), f"environment.yml lacks {sorted(declared - env)}"
    assert env - declared == set(), f"environment.yml has extra {sorted(env - declared)}"


def test_environment_yml_uses_lock_versions():
    lock = _lock()
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    pip_section = next(dep["pip"] for dep in env["dependencies"] if isinstance(dep, dict))
    for requirement in pip_section:
        if "==" in requirement:
            name, version = requirement.split("==")
            assert lock.get(_name(name)) == version.strip(), f"{name}: environment.yml {version} vs lock"


def test_lock_has_tested_torch_pair():
    lock = _lock()
    assert lock["torch"] == "2.14.1" and lock["torchaudio"] == "2.11.0"


@pytest.mark.parametrize(
    "workflow", sorted((ROOT / ".github" / "workflows").glob("*.yml")), ids=lambda p: p.name
)
def test_workflow_is_valid(workflow):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "check_jsonschema",
            "--builtin-schema",
            "vendor.github-workflows",
            str(workflow),
        ],
        check=False,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_ci_entry_point_calls_make_test():
    assert "make test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_gitignore_keeps_generated_files_out():
    ignored = (ROOT / ".gitignore").read_text(encoding="utf-8").split()
    for pattern in (".venv/", "build/", "data/*", "!data/README.md"):
        assert pattern in ignored
