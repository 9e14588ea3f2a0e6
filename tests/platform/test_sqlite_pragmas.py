"""The embedded default opens SQLite in WAL mode with synchronous=NORMAL (see settings, README)."""

import pytest
from django.db import connection
from django.db.backends.sqlite3.base import DatabaseWrapper

pytestmark = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="the pragmas belong to the embedded SQLite default"
)

SYNCHRONOUS_NORMAL = 1  # PRAGMA synchronous answers a number: OFF 0, NORMAL 1, FULL 2


def _pragma(wrapper, name: str):
    with wrapper.cursor() as cursor:
        cursor.execute(f"PRAGMA {name}")
        return cursor.fetchone()[0]


@pytest.fixture
def file_database(tmp_path, django_db_blocker):
    """A connection to a new database file, opened with the project's own settings."""
    wrapper = DatabaseWrapper({**connection.settings_dict, "NAME": str(tmp_path / "app.sqlite3")})
    with django_db_blocker.unblock():
        yield wrapper
        wrapper.close()


@pytest.mark.django_db
def test_the_app_connection_commits_with_synchronous_normal():
    assert _pragma(connection, "synchronous") == SYNCHRONOUS_NORMAL


def test_a_database_file_is_opened_in_wal_mode(file_database):
    assert _pragma(file_database, "journal_mode") == "wal"


def test_a_database_file_is_opened_with_synchronous_normal(file_database):
    assert _pragma(file_database, "synchronous") == SYNCHRONOUS_NORMAL


def test_a_database_file_takes_the_write_lock_when_a_transaction_begins(file_database):
    file_database.ensure_connection()

    assert file_database.transaction_mode == "IMMEDIATE"
