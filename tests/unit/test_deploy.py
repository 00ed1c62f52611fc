"""The deployment files: what can be checked without systemd or a Docker engine."""

from __future__ import annotations

import configparser
import re
import shutil
import subprocess
import sys
import zipfile

from tests.conftest import ROOT

DEPLOY = ROOT / "deploy"


def test_the_systemd_unit_restarts_runs_unprivileged_and_keeps_state():
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str
    unit.read(DEPLOY / "tenderbot.service")
    service = unit["Service"]
    assert service["ExecStart"].endswith("tenderbot run")
    assert service["Restart"] == "on-failure"
    assert service["NoNewPrivileges"] == "true"
    assert service["User"] == "tenderbot" and service["StateDirectory"] == "tenderbot"
    assert "TENDERBOT_CONFIG" in service["Environment"]
    assert unit["Install"]["WantedBy"] == "multi-user.target"


def test_compose_takes_secrets_from_the_environment_and_keeps_the_database_in_a_volume():
    text = (DEPLOY / "compose.yaml").read_text()
    assert "SLACK_BOT_TOKEN: ${SLACK_BOT_TOKEN:-}" in text
    assert "TELEGRAM_BOT_TOKEN: ${TELEGRAM_BOT_TOKEN:-}" in text
    assert "tenderbot-data:/data" in text and "dockerfile: deploy/Dockerfile" in text


def test_the_dockerfile_builds_the_wheel_from_what_it_copies(tmp_path):
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    assert "pip wheel --no-cache-dir --no-deps" in dockerfile
    assert re.search(r"^USER tenderbot$", dockerfile, re.MULTILINE)
    assert 'VOLUME ["/data"]' in dockerfile
    build_stage = dockerfile.split("FROM python:3.11-slim\n")[0]
    context = tmp_path / "context"
    context.mkdir()
    for line in build_stage.splitlines():
        if line.startswith("COPY "):
            *sources, _ = line.split()[1:]
            for name in sources:
                source = ROOT / name
                if source.is_dir():
                    shutil.copytree(
                        source, context / name, ignore=shutil.ignore_patterns("__pycache__")
                    )
                else:
                    shutil.copy(source, context / name)
    built = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(tmp_path / "dist"),
            str(context),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert built.returncode == 0, built.stderr
    wheel = next((tmp_path / "dist").glob("tenderbot-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in (
        "bot/store/__init__.py",
        "bot/delivery/notifiers/telegram.py",
        "rules/sets/small-charities.toml",
    ):
        assert needed in names


def test_the_slack_manifest_asks_for_what_the_app_uses():
    manifest = (ROOT / "deploy" / "slack-app-manifest.yaml").read_text()
    for needed in ("chat:write", "commands", "users:read", "channel_left", "/tenderbot"):
        assert needed in manifest, needed
    assert "socket_mode_enabled: true" in manifest
    assert "is_enabled: true" in manifest


def test_health_checks_ask_healthz_not_status():
    compose = (DEPLOY / "compose.yaml").read_text()
    check = compose.split("healthcheck:")[1].split("interval:")[0]
    assert "/healthz" in check and "status" not in check
    # The image's config has the listener the check asks on.
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    assert "tenderbot init /data/tenderbot.toml" in dockerfile
    assert '# http = "127.0.0.1:8787"' in (ROOT / "config.example.toml").read_text().splitlines()
    assert "8787/healthz" in check
    health = configparser.ConfigParser(strict=False, interpolation=None)
    health.optionxform = str
    health.read(DEPLOY / "tenderbot-health.service")
    assert "http://127.0.0.1:8787/healthz" in health["Service"]["ExecStart"]
    assert health["Unit"]["Requisite"] == "tenderbot.service"
    timer = configparser.ConfigParser(strict=False, interpolation=None)
    timer.read(DEPLOY / "tenderbot-health.timer")
    assert timer["Timer"]["OnUnitActiveSec"]


def test_the_systemd_unit_says_where_its_wheel_comes_from():
    header = (DEPLOY / "tenderbot.service").read_text().split("[Unit]")[0]
    assert "pip wheel --no-deps -w dist ." in header
    assert "tenderbot init /etc/tenderbot/tenderbot.toml" in header


def test_the_docker_build_context_is_only_what_the_image_is_built_from():
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    ignore = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    assert ignore[0] == "*"  # everything out, then what is needed back in
    allowed = {line[1:] for line in ignore if line.startswith("!")}
    build_stage = (DEPLOY / "Dockerfile").read_text().split("FROM python:3.11-slim\n")[0]
    copied = {
        name
        for line in build_stage.splitlines()
        if line.startswith("COPY ")
        for name in line.split()[1:-1]
    }
    assert copied <= allowed
    assert not {".venv", ".git", "build", "dist", "tests"} & allowed
    assert "**/__pycache__" in ignore


def test_compose_runs_two_instances_on_one_postgresql_with_the_password_from_the_environment():
    text = (DEPLOY / "compose-postgres.yaml").read_text()
    assert "image: postgres:" in text and "condition: service_healthy" in text
    assert "tenderbot-a:" in text and "tenderbot-b:" in text
    url = re.search(r"TENDERBOT_DATABASE_URL: (\S+)", text)
    assert url is not None and "${POSTGRES_PASSWORD:?" in url[1]
    assert "POSTGRES_PASSWORD: ${POSTGRES_PASSWORD:?" in text
