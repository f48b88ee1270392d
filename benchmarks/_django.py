"""Shared set-up for benchmarks that need Django and a throwaway database."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator


@contextlib.contextmanager
def test_database() -> Iterator[str]:
    """Set up Django with a fresh test database (SQLite, or PostgreSQL when DATABASE_URL is set);
    yield the database vendor; destroy the database and the test environment afterwards, so the
    next benchmark in the same process can do the same."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("PLEXUS_TESTING", "1")
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import setup_test_environment, teardown_test_environment

    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        yield connection.vendor
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        teardown_test_environment()
