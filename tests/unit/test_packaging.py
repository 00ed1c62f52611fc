"""Packaging: the shipped example config, `tenderbot init`, the licence, shadowed modules."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
import tomllib

from bot.config import load_config
from bot.init_config import example_config
from tests.conftest import ROOT

BUILD_INPUTS = ("pyproject.toml", "README.md", "LICENSE", "bot", "rules", "sources")


def tenderbot(*args, cwd, env=None):
    return subprocess.run(
        [sys.executable, "-m", "bot", *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


def test_the_shipped_example_is_the_repository_example():
    assert (ROOT / "bot" / "config.example.toml").read_bytes() == (
        ROOT / "config.example.toml"
    ).read_bytes()
    assert example_config() == (ROOT / "config.example.toml").read_text()


def test_init_writes_the_example_once_and_never_overwrites(tmp_path):
    done = tenderbot("init", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    written = tmp_path / "tenderbot.toml"
    assert written.read_text() == (ROOT / "config.example.toml").read_text()
    assert load_config(written).sources  # it loads as it stands
    written.write_text("# mine\n")
    again = tenderbot("init", cwd=tmp_path)
    assert again.returncode == 2
    assert "already exists" in again.stderr and "never overwrites" in again.stderr
    assert written.read_text() == "# mine\n"
    named = tenderbot("init", tmp_path / "elsewhere.toml", cwd=tmp_path)
    assert named.returncode == 0 and (tmp_path / "elsewhere.toml").is_file()
    missing = tenderbot("init", tmp_path / "no" / "such.toml", cwd=tmp_path)
    assert missing.returncode == 2 and "no folder" in missing.stderr


def test_the_no_config_error_points_at_init(tmp_path):
    done = tenderbot("status", cwd=tmp_path, env={"TENDERBOT_CONFIG": ""})
    assert done.returncode == 2
    assert "tenderbot init" in done.stderr


def test_the_licence_is_mit_in_spdx_form_and_builds_without_deprecation_warnings(tmp_path):
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["license"] == "MIT"
    assert "MIT License" in (ROOT / "LICENSE").read_text()
    for name in BUILD_INPUTS:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, tmp_path / name)
    probe = textwrap.dedent(
        """
        import warnings
        from setuptools import build_meta
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            build_meta.build_wheel("dist")
        for warning in caught:
            print("WARNING", warning.category.__name__, warning.message)
        """
    )
    built = subprocess.run(
        [sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True, timeout=300
    )
    assert built.returncode == 0, built.stderr
    assert "WARNING" not in built.stdout, built.stdout
    assert "deprecat" not in built.stderr.lower(), built.stderr
    wheel = next((tmp_path / "dist").glob("tenderbot-*.whl"))
    import zipfile

    names = set(zipfile.ZipFile(wheel).namelist())
    assert "bot/config.example.toml" in names
    assert any(n.endswith("licenses/LICENSE") for n in names)


DUMMY_PYPROJECT = """
[build-system]
requires = ["setuptools"]
build-backend = "setuptools.build_meta"

[project]
name = "dummy-rules"
version = "1.0"

[tool.setuptools]
packages = ["rules"]
"""


def test_a_distribution_shadowing_rules_is_named_with_the_fix(tmp_path):
    source = tmp_path / "dummy"
    (source / "rules").mkdir(parents=True)
    (source / "rules" / "__init__.py").write_text('"""Some other project\'s rules."""\n')
    (source / "pyproject.toml").write_text(DUMMY_PYPROJECT)
    site = tmp_path / "site"
    installed = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--disable-pip-version-check",
            "--target",
            str(site),
            str(source),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert installed.returncode == 0, installed.stderr
    assert (site / "rules" / "__init__.py").is_file()
    clean = tenderbot("--version", cwd=tmp_path, env={"PYTHONPATH": str(ROOT)})
    assert clean.returncode == 0, clean.stderr
    # The dummy comes first on the path, as a package installed in a user site or another
    # environment's path would.
    shadowed = tenderbot(
        "--version", cwd=tmp_path, env={"PYTHONPATH": os.pathsep.join([str(site), str(ROOT)])}
    )
    assert shadowed.returncode == 2
    assert f"the module 'rules' is imported from {site / 'rules'}" in shadowed.stderr
    assert "installed by dummy-rules 1.0" in shadowed.stderr
    assert "pipx install tenderbot" in shadowed.stderr and "virtual environment" in shadowed.stderr
    assert "Traceback" not in shadowed.stderr
