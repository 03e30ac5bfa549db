"""Production settings are safe, the schema is in sync, and the demo password stays in demos."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth import authenticate

from roles.demo import DEMO_PASSWORD
from tests.factories import UserFactory

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION_ENV = {
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": "x" * 20 + "-a-long-random-production-secret-for-the-check-" + "y" * 20,
    "DJANGO_ALLOWED_HOSTS": "growthops.example.com",
}


def _manage(*args, env_extra=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update(env_extra or {})
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_under_production_settings():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env_extra=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_settings_refuse_to_start_without_a_secret_key():
    env = dict(PRODUCTION_ENV)
    del env["DJANGO_SECRET_KEY"]
    result = _manage("check", env_extra=env)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_migrations_are_in_sync_with_the_models():
    result = _manage("makemigrations", "--check", "--dry-run")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.django_db
def test_the_demo_password_only_works_with_debug_on(settings):
    UserFactory(username="cmo")
    user = UserFactory(username="demo-cmo")
    user.set_password(DEMO_PASSWORD)
    user.save()
    settings.DEBUG = True
    assert authenticate(username="demo-cmo", password=DEMO_PASSWORD) == user
    settings.DEBUG = False
    assert authenticate(username="demo-cmo", password=DEMO_PASSWORD) is None
