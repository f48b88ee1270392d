"""Settings are env-driven; production refuses to start without a SECRET_KEY."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def _check(env: dict) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in {"PLEXUS_TESTING", "DEBUG", "SECRET_KEY", "DATABASE_URL",
                                                            "REDIS_URL"}}
    return subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "ERROR"], cwd=ROOT,
                          env={**base, **env}, capture_output=True, text=True, timeout=120)


def test_secret_key_required_when_debug_off(tmp_path):
    result = _check({"PLEXUS_DATA_DIR": str(tmp_path)})
    assert result.returncode != 0 and "SECRET_KEY must be set" in result.stderr


def test_production_settings_pass_deploy_check(tmp_path):
    result = _check({"PLEXUS_DATA_DIR": str(tmp_path), "SECRET_KEY": "x" * 60 + "-prod-secret-for-test-only",
                     "ALLOWED_HOSTS": "clinic.example.org"})
    assert result.returncode == 0, result.stderr + result.stdout


def test_database_and_queue_follow_env(tmp_path):
    code = ("from django.conf import settings as s; print(s.DATABASES['default']['ENGINE']); "
            "print(s.HUEY['huey_class'])")
    env = {**os.environ, "PLEXUS_DATA_DIR": str(tmp_path), "DEBUG": "1", "DJANGO_SETTINGS_MODULE": "config.settings",
           "DATABASE_URL": "postgres://u@127.0.0.1:5432/x", "REDIS_URL": "redis://127.0.0.1:6379/3"}
    out = subprocess.run([sys.executable, "-c", "import django; django.setup(); " + code], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=60).stdout.split()
    assert out == ["django.db.backends.postgresql", "huey.RedisHuey"]
    env.pop("DATABASE_URL")
    env.pop("REDIS_URL")
    out = subprocess.run([sys.executable, "-c", "import django; django.setup(); " + code], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=60).stdout.split()
    assert out == ["django.db.backends.sqlite3", "huey.SqliteHuey"]
