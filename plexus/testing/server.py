"""Run a real Plexus server in a subprocess for browser tests: its own data folder (SQLite) or,
when DATABASE_URL is set, its own fresh PostgreSQL database; migrated and loaded with the demo."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-quic",
]


_SERVER_ENVS: dict[str, dict[str, str]] = {}


def server_manage(base_url: str, *args: str) -> str:
    """Run a management command against the database of the running test server at base_url
    (e.g. ``reconcile care_escalations --now ...``); return its stdout."""
    env = _SERVER_ENVS[base_url]
    done = subprocess.run([sys.executable, str(ROOT / "manage.py"), *args], env=env, cwd=ROOT, check=True,
                          capture_output=True, text=True, timeout=300)
    return done.stdout


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def _fresh_postgres(url: str) -> Iterator[str]:
    import psycopg

    name = f"plexus_e2e_{uuid.uuid4().hex[:10]}"
    parts = urlparse(url)
    admin_url = urlunparse(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlunparse(parts._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def running_server(data_dir: Path, demo_scale: int = 1) -> Iterator[str]:
    """Start `manage.py runserver` on a free port after migrate + load_demo; yield its base URL."""
    env = {k: v for k, v in os.environ.items() if k not in {"PLEXUS_TESTING", "DJANGO_SETTINGS_MODULE"}}
    env.update(DEBUG="1", PLEXUS_DATA_DIR=str(data_dir), PYTHONUNBUFFERED="1")
    env.pop("REDIS_URL", None)
    with contextlib.ExitStack() as stack:
        if env.get("DATABASE_URL"):
            env["DATABASE_URL"] = stack.enter_context(_fresh_postgres(env["DATABASE_URL"]))
        manage = [sys.executable, str(ROOT / "manage.py")]
        for args in (["migrate", "--noinput", "-v0"], ["load_demo", "--scale", str(demo_scale)]):
            subprocess.run(manage + args, env=env, cwd=ROOT, check=True, capture_output=True, timeout=300)
        port = _free_port()
        log = open(data_dir / "server.log", "w")  # noqa: SIM115 - closed by the exit stack
        stack.callback(log.close)
        proc = subprocess.Popen([*manage, "runserver", "--noreload", f"127.0.0.1:{port}"], env=env, cwd=ROOT,
                                stdout=log, stderr=subprocess.STDOUT)
        stack.callback(lambda: (proc.terminate(), proc.wait(timeout=20)))
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                break
            if proc.poll() is not None:
                raise RuntimeError(f"server exited: {(data_dir / 'server.log').read_text()}")
            time.sleep(0.2)
        else:
            raise RuntimeError("server did not start within 60 s")
        url = f"http://127.0.0.1:{port}"
        _SERVER_ENVS[url] = env
        stack.callback(lambda: _SERVER_ENVS.pop(url, None))
        yield url
