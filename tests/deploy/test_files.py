"""The deployment files (deploy/) agree with the code they deploy: the example configuration
names every setting, the image carries every package and content file and runs as an
unprivileged user with a health check, compose starts PostgreSQL with a volume and a health
check and two bot instances waiting for it behind a proxy that reaches both, and the systemd
unit runs the migrations then the bot."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

from bot.config import ENV_PREFIX, Settings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"


def env_example_names() -> set[str]:
    text = (DEPLOY / ".env.example").read_text(encoding="utf-8")
    return set(re.findall(r"^#? ?(RSEBOT_[A-Z_]+)=", text, flags=re.MULTILINE))


def test_the_example_configuration_names_every_setting() -> None:
    settings = {f"{ENV_PREFIX}{name}".upper() for name in Settings.model_fields}

    assert settings - env_example_names() == set()


def test_the_example_configuration_names_no_setting_that_does_not_exist() -> None:
    settings = {f"{ENV_PREFIX}{name}".upper() for name in Settings.model_fields}
    # Read by compose, not by the bot.
    compose_only = {"RSEBOT_SITE_ADDRESS"}

    assert env_example_names() - settings - compose_only == set()


def dockerfile() -> str:
    return (DEPLOY / "Dockerfile").read_text(encoding="utf-8")


def test_the_image_copies_every_package_the_project_installs() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    packages = {
        name.rstrip("*") for name in project["tool"]["setuptools"]["packages"]["find"]["include"]
    }

    copied = set(re.findall(r"^COPY (\w+) \1$", dockerfile(), flags=re.MULTILINE))

    assert copied == packages
    ignored = (DEPLOY / "Dockerfile.dockerignore").read_text(encoding="utf-8")
    assert {f"!{name}/" for name in packages} <= set(ignored.split())


def test_every_content_file_is_package_data_of_the_wheel() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = project["tool"]["setuptools"]["package-data"]["content"]
    content = ROOT / "content"

    data = {p for p in content.rglob("*") if p.is_file() and p.suffix not in {".py", ".pyc"}}
    # setuptools globs them as Path.glob does: « **/ » is any folder, the top one included.
    packaged = {p for pattern in patterns for p in content.glob(pattern)}
    missed = data - packaged

    assert data and missed == set()


def test_the_image_runs_unprivileged_with_a_health_check_on_healthz() -> None:
    text = dockerfile()
    runtime = text.split("\nFROM ")[-1]

    assert re.search(r"^USER rsebot$", runtime, flags=re.MULTILINE)
    assert "useradd --system --uid 10001" in runtime
    assert "/healthz" in runtime.split("HEALTHCHECK")[1]
    assert 'CMD ["rse-bot", "run"]' in runtime
    assert "ENV PYTHONDONTWRITEBYTECODE=1" in runtime and "RSEBOT_HTTP_PORT=8080" in runtime
    # The HTTP server, and so /healthz, runs whatever the platforms' settings.
    assert "RSEBOT_METRICS=true" in runtime


def compose() -> dict:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))


def test_compose_starts_postgresql_with_a_volume_and_a_health_check() -> None:
    postgres = compose()["services"]["postgres"]

    assert postgres["volumes"] == ["postgres-data:/var/lib/postgresql/data"]
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])
    assert "postgres-data" in compose()["volumes"]


def test_compose_runs_two_bot_instances_that_wait_for_postgresql() -> None:
    services = compose()["services"]

    for name in ("bot-1", "bot-2"):
        bot = services[name]
        assert bot["depends_on"] == {"postgres": {"condition": "service_healthy"}}
        assert bot["env_file"] == ".env"
        assert bot["environment"]["RSEBOT_DATABASE_URL"].startswith(
            "postgresql://rsebot:${POSTGRES_PASSWORD"
        )
        assert bot["build"] == {"context": "..", "dockerfile": "deploy/Dockerfile"}
        assert bot["stop_grace_period"] == "30s"


def test_the_proxy_sends_requests_to_both_instances_on_the_images_port() -> None:
    caddyfile = (DEPLOY / "Caddyfile").read_text(encoding="utf-8")
    port = re.search(r"RSEBOT_HTTP_PORT=(\d+)", dockerfile())
    assert port is not None

    assert f"reverse_proxy bot-1:{port[1]} bot-2:{port[1]}" in caddyfile
    assert "health_uri /healthz" in caddyfile
    assert compose()["services"]["proxy"]["depends_on"] == {
        "bot-1": {"condition": "service_healthy"},
        "bot-2": {"condition": "service_healthy"},
    }


def test_the_systemd_unit_migrates_then_runs_the_bot_with_its_environment_file() -> None:
    unit = (DEPLOY / "rse-bot.service").read_text(encoding="utf-8")

    assert "ExecStartPre=/opt/rse-bot/bin/rse-bot db upgrade" in unit
    assert "ExecStart=/opt/rse-bot/bin/rse-bot run" in unit
    assert "EnvironmentFile=/etc/rse-bot.env" in unit
    assert "User=rsebot" in unit and "ReadWritePaths=/var/lib/rse-bot" in unit
