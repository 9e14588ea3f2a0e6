"""Every migration can be reversed, so a release can be rolled back (docs/rollback.md).

The fast tests read the migration files and run on both databases: every operation of the
project's own apps declares a way back. The PostgreSQL tests prove it on a real server: a
populated database is migrated to zero, app by app, and forward again, and must end with the
schema it started with. They run `manage.py` in subprocesses against a scratch database of
their own on the server of DATABASE_URL (created and dropped here, never the test database),
as an operator would.
"""

import graphlib
import os
import shutil
import subprocess
import sys
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from django.apps import apps
from django.conf import settings
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.operations import RunPython, RunSQL, SeparateDatabaseAndState
from psycopg import sql

from accounts.roles import ROLE_ORDER, ROLE_PERMISSIONS

PROJECT_ROOT = Path(settings.BASE_DIR)
PROJECT_APPS = {"inventory_project", "accounts", "items", "inventory", "forecasting"}
# A command that hangs must fail the test, not CI; each one takes a few seconds.
COMMAND_TIMEOUT_SECONDS = 180

requires_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL: the round trip runs on a scratch database of a real server",
)


def project_app_labels() -> set[str]:
    """Apps whose code lives in this repository, not in the virtualenv's site-packages."""
    return {
        config.label
        for config in apps.get_app_configs()
        if Path(config.path).is_relative_to(PROJECT_ROOT)
        and "site-packages" not in Path(config.path).parts
    }


def database_operations(operations):
    """The operations that touch the database, including those inside SeparateDatabaseAndState."""
    for operation in operations:
        if isinstance(operation, SeparateDatabaseAndState):
            yield from database_operations(operation.database_operations)
        else:
            yield operation


def is_irreversible(operation) -> bool:
    if isinstance(operation, RunPython):
        return operation.reverse_code is None
    if isinstance(operation, RunSQL):
        return operation.reverse_sql is None
    return not operation.reversible


def test_every_operation_of_the_projects_migrations_can_be_reversed():
    loader = MigrationLoader(None, ignore_no_migrations=True)
    ours = project_app_labels()

    irreversible = [
        f"{app}.{name}: {operation.describe()}"
        for (app, name), migration in sorted(loader.disk_migrations.items())
        if app in ours
        for operation in database_operations(migration.operations)
        if is_irreversible(operation)
    ]

    assert irreversible == []


def test_the_reversibility_check_finds_every_app_of_the_project():
    # Guards the test above: an app it failed to recognise as ours would go unchecked.
    loader = MigrationLoader(None, ignore_no_migrations=True)

    assert project_app_labels() & loader.migrated_apps >= PROJECT_APPS


# --- the round trip on PostgreSQL ---------------------------------------------------------------


def server_params() -> dict:
    db = settings.DATABASES["default"]
    return {
        "host": db["HOST"] or "127.0.0.1",
        "port": int(db["PORT"] or 5432),
        "user": db["USER"],
        "password": db["PASSWORD"] or None,
    }


@contextmanager
def scratch_database():
    """A new, empty database on the test server, dropped afterwards even when the test fails."""
    params = server_params()
    name = f"migrations_round_trip_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(**params, dbname="postgres", autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    user = quote(params["user"], safe="")
    password = f":{quote(params['password'], safe='')}" if params["password"] else ""
    url = f"postgres://{user}{password}@{params['host']}:{params['port']}/{name}"
    try:
        yield url
    finally:
        with psycopg.connect(**params, dbname="postgres", autocommit=True) as admin:
            # FORCE: a command killed by its timeout may still hold a connection.
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def manage(url: str, *args: str) -> str:
    """Run `manage.py ARGS` on the database at `url`; fail the test on a non-zero exit."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "inventory_project.settings",
        "DATABASE_URL": url,
        "TEST_DATABASE_NAME": "",
        # The in-process cache: the commands never touch the cache keys of the suite's Redis.
        "REDIS_URL": "",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT_SECONDS,
        check=False,
    )
    assert result.returncode == 0, (
        f"manage.py {' '.join(args)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}"
    )
    return result.stdout


def query(url: str, statement: str) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(statement).fetchall()


# The commands that fill the tables, run by one `manage.py shell` (one start-up instead of
# seven): items, stock and the ledger, users and roles, usage history, job runs and locks,
# model choices and forecasts, and a signed-out refresh token (token_blacklist).
POPULATE = """
import tempfile
from django.core.management import call_command
from rest_framework_simplejwt.tokens import RefreshToken
from accounts.models import User

call_command("load_demo_data")
call_command("create_demo_users", force=True)
with tempfile.NamedTemporaryFile("w", suffix=".csv") as usage:
    usage.write("date,sku,quantity,location\\n2026-01-05,SKU-1001,3,\\n")
    usage.flush()
    call_command("import_usage", usage.name)
call_command("maintenance")
call_command("retrain", no_progress=True)
call_command("forecast", no_progress=True)
RefreshToken.for_user(User.objects.get(email="admin@local")).blacklist()
"""


def schema_of(url: str) -> list[str]:
    """The database's schema as comparable lines: pg_dump's, or the catalogs' without it."""
    if shutil.which("pg_dump"):
        dump = subprocess.run(
            ["pg_dump", "--schema-only", "--no-owner", "--no-privileges", "--dbname", url],
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT_SECONDS,
            check=False,
        )
        if dump.returncode == 0:
            # Comments carry versions and \restrict lines a random key per dump.
            return [
                line
                for line in dump.stdout.splitlines()
                if line and not line.startswith(("--", "\\restrict", "\\unrestrict"))
            ]
        # A pg_dump older than the server refuses to dump it; the catalogs still answer.
        assert "version mismatch" in dump.stderr, dump.stderr
    return catalog_schema(url)


def catalog_schema(url: str) -> list[str]:
    """Tables, columns, indexes, constraints and storage parameters, from the catalogs."""
    statements = [
        """select 'column', table_name, column_name, data_type, character_maximum_length,
                  numeric_precision, numeric_scale, is_nullable, column_default, is_identity
           from information_schema.columns where table_schema = current_schema()""",
        """select 'index', tablename, indexname, indexdef
           from pg_indexes where schemaname = current_schema()""",
        """select 'constraint', conrelid::regclass::text, conname, pg_get_constraintdef(oid)
           from pg_constraint where connamespace = current_schema()::regnamespace""",
        """select 'relation', relname, relkind, reloptions
           from pg_class where relnamespace = current_schema()::regnamespace""",
    ]
    return sorted(repr(row) for statement in statements for row in query(url, statement))


def unapply_order() -> list[str]:
    """Every app with migrations, each before the apps its migrations depend on.

    Computed from the migration graph, so an app added later (a third-party one too) is
    covered. `migrate <app> zero` unapplies whatever depends on the app first anyway; this
    order only makes each command undo its own app.
    """
    graph = MigrationLoader(None, ignore_no_migrations=True).graph
    depends: dict[str, set[str]] = {app: set() for app, _name in graph.nodes}
    for (app, _name), node in graph.node_map.items():
        depends[app] |= {parent.key[0] for parent in node.parents if parent.key[0] != app}
    try:
        order = list(graphlib.TopologicalSorter(depends).static_order())
    except graphlib.CycleError:
        order = sorted(depends)  # apps that depend on each other: any order works, see above
    return order[::-1]


# Third-party apps whose migrations cannot go back over their own rows (upstream), and what an
# operator runs first (docs/rollback.md). token_blacklist.0005 dropped a NOT NULL column; its
# reverse adds it back without a default, which fails on any stored token.
EMPTY_BEFORE_ZERO = {
    "token_blacklist": (
        "from rest_framework_simplejwt.token_blacklist.models import OutstandingToken\n"
        "OutstandingToken.objects.all().delete()"
    ),
}


def to_zero_script(order: list[str]) -> str:
    """`migrate <app> zero` for each app in turn, in one `manage.py shell` (one start-up).

    Each step is the migrate command itself, post-migrate signals included; the step that
    fails is the last one printed.
    """
    lines = ["from django.core.management import call_command"]
    for app in order:
        lines.append(f"print('migrate {app} zero', flush=True)")
        if app in EMPTY_BEFORE_ZERO:
            lines.append(EMPTY_BEFORE_ZERO[app])
        lines.append(f"call_command('migrate', {app!r}, 'zero', interactive=False)")
    return "\n".join(lines)


STOCKRECORD_OPTIONS = (
    "select reloptions from pg_class where relname = 'inventory_stockrecord'"
    " and relnamespace = current_schema()::regnamespace"
)


@dataclass
class RoundTrip:
    url: str
    schema_before: list[str]
    stockrecord_options_after_0005_reversed: list | None
    relations_at_zero: set[str]
    applied_at_zero: int
    schema_after: list[str]


@pytest.fixture(scope="module")
def round_trip():
    """A populated database taken to zero, app by app, and migrated forward again."""
    with scratch_database() as url:
        manage(url, "migrate", "--no-input")
        manage(url, "shell", "-c", POPULATE)
        schema_before = schema_of(url)

        # One step back first: inventory.0005 is the migration whose reverse is raw SQL.
        manage(url, "migrate", "inventory", "0004", "--no-input")
        (stockrecord_options,) = query(url, STOCKRECORD_OPTIONS)[0]

        manage(url, "shell", "-c", to_zero_script(unapply_order()))
        relations_at_zero = {
            name
            for (name,) in query(
                url,
                "select relname from pg_class where relnamespace = current_schema()::regnamespace"
                " and relkind <> 'i'",
            )
        }
        applied_at_zero = query(url, "select count(*) from django_migrations")[0][0]

        manage(url, "migrate", "--no-input")
        yield RoundTrip(
            url=url,
            schema_before=schema_before,
            stockrecord_options_after_0005_reversed=stockrecord_options,
            relations_at_zero=relations_at_zero,
            applied_at_zero=applied_at_zero,
            schema_after=schema_of(url),
        )


@pytest.mark.postgres
@requires_postgres
def test_migrating_every_app_to_zero_leaves_only_the_migrations_table(round_trip):
    assert round_trip.relations_at_zero <= {"django_migrations", "django_migrations_id_seq"}
    assert round_trip.applied_at_zero == 0


@pytest.mark.postgres
@requires_postgres
def test_migrating_forward_after_zero_rebuilds_the_same_schema(round_trip):
    assert round_trip.schema_after == round_trip.schema_before


@pytest.mark.postgres
@requires_postgres
def test_reversing_the_fillfactor_migration_restores_the_tables_defaults(round_trip):
    # The forward step sets fillfactor=70 (in the recorded schema); the way back leaves none.
    assert round_trip.stockrecord_options_after_0005_reversed is None


@pytest.mark.postgres
@requires_postgres
def test_the_post_migrate_hook_rebuilds_the_role_groups(round_trip):
    groups = query(
        round_trip.url,
        "select g.name, count(p.id) from auth_group g"
        " left join auth_group_permissions p on p.group_id = g.id group by g.name",
    )

    assert dict(groups) == {role.value: len(ROLE_PERMISSIONS[role]) for role in ROLE_ORDER}


@pytest.mark.postgres
@requires_postgres
def test_the_app_works_on_the_rebuilt_database(round_trip):
    loaded = manage(round_trip.url, "load_demo_data")

    assert loaded.startswith("Loaded demo data")
