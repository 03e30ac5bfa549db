"""Production settings are safe, the schema is in sync, and the demo password stays in demos."""

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.test import RequestFactory

from roles.backends import DEMO_PASSWORD
from tests.factories import UserFactory

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION_ENV = {
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": "x" * 20 + "-a-long-random-production-secret-for-the-check-" + "y" * 20,
    "DJANGO_ALLOWED_HOSTS": "growthops.example.com",
}


def _manage(*args, env_extra=None):
    return _python("manage.py", *args, env_extra=env_extra)


def _python(*args, env_extra=None):
    """Python in a process of its own, with no DJANGO_ setting but ``env_extra``'s."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update(env_extra or {})
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def collected_static(tmp_path):
    """A STATIC_ROOT holding a manifest, as collectstatic leaves it."""
    (tmp_path / "staticfiles.json").write_text('{"paths": {}, "version": "1.1", "hash": ""}')
    return {"DJANGO_STATIC_ROOT": str(tmp_path)}


def test_production_settings_start_and_pass_the_deploy_check_once_static_files_are_collected(
    collected_static,
):
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env_extra={**PRODUCTION_ENV, **collected_static},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_settings_refuse_to_start_without_a_secret_key():
    env = dict(PRODUCTION_ENV)
    del env["DJANGO_SECRET_KEY"]
    result = _manage("check", env_extra=env)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_debug_is_off_unless_asked_for():
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "DJANGO_DEBUG"}
    # The settings module alone, as manage.py loads it: starting every app adds nothing here.
    result = _python("-c", "from growthops import settings; print(settings.DEBUG)", env_extra=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "False"


def test_production_settings_refuse_to_start_without_collected_static_files(tmp_path):
    result = _manage("check", env_extra={**PRODUCTION_ENV, "DJANGO_STATIC_ROOT": str(tmp_path)})
    assert result.returncode != 0
    assert "growthops.E001" in result.stderr
    assert "python manage.py collectstatic" in result.stderr


@pytest.mark.django_db
def test_migrations_are_in_sync_with_the_models():
    out = io.StringIO()
    # In-process: the settings that matter here (the apps and their models) are the same.
    call_command("makemigrations", "--check", "--dry-run", stdout=out)  # exits 1 if not
    assert "No changes detected" in out.getvalue()


@pytest.mark.django_db
def test_the_demo_password_only_works_with_debug_on(settings):
    UserFactory(username="cmo")
    user = UserFactory(username="demo-cmo")
    user.set_password(DEMO_PASSWORD)
    user.save()
    request = RequestFactory().post("/accounts/login/")
    settings.DEBUG = True
    assert authenticate(request, username="demo-cmo", password=DEMO_PASSWORD) == user
    settings.DEBUG = False
    assert authenticate(request, username="demo-cmo", password=DEMO_PASSWORD) is None
