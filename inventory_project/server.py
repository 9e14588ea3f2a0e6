"""The web server: granian serving the WSGI app, configured from the environment.

`python -m inventory_project.server` is the Procfile's `web` process. It loads the app once, in
this process (which also runs the system checks, so a bad configuration stops the start here),
closes whatever connections that opened, and lets granian fork its workers from it: a worker is
ready in milliseconds, also when one is replaced, and the workers share the pages of everything
they only read (the code, the settings, the URL patterns).

Why granian and not gunicorn's sync workers: granian reads and writes the sockets in Rust, keeps
connections alive and hands a worker only whole requests, so a slow client holds no worker and
the workers spend their time in the app. On two cores it served the cached routes 35-40% faster
than gunicorn with the same app, workers and data (BENCHMARKS.md, "Every route side by side").

The environment (README, "Configuration"; `.env.example`):

- `WEB_BIND`: `host:port` or `unix:/path`; else `0.0.0.0:$PORT` when a platform sets `PORT`;
  else `127.0.0.1:8000`, so only the proxy on this host (nginx, docs/deployment.md) reaches it.
- `WEB_SOCKET_MODE`: the permissions of a unix socket (`660`, octal): nginx must share its group.
- `WEB_CONCURRENCY`: worker processes, 2 x cores by default.
- `WEB_THREADS`: requests a worker serves at once (4). On Linux each worker listens on a socket
  of its own and the kernel deals connections out among them, so a worker that served one
  request at a time would hold every connection dealt to it behind a long one (an import of a
  minute) while the others sat idle; with four, three go on. They share the worker's interpreter
  lock, so a second thread adds no throughput, only that headroom (and a database connection).
- `WEB_GRACEFUL_TIMEOUT`: seconds a worker may finish its requests when it is stopped or
  replaced (30); then it is killed, so a request that hangs cannot hold up a shutdown.
- `WEB_WORKER_MAX_RSS_MB`: a worker past this much memory is replaced (1024): a slow leak can
  never take a host down. `WEB_WORKER_LIFETIME`: seconds after which a worker is replaced
  anyway (0: never; at least 60 otherwise).
- `PROMETHEUS_MULTIPROC_DIR`: where the workers' metrics meet (a new private folder by default;
  emptied at start, so an earlier run's numbers are not added to this one's).
"""

import ctypes
import gc
import multiprocessing
import os
import shutil
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path

DEFAULT_BIND = "127.0.0.1:8000"


def bind_address(environ: Mapping[str, str]) -> str:
    """Where to listen: `WEB_BIND`, else every interface on a platform's `PORT`, else loopback."""
    port = environ.get("PORT", "")
    return environ.get("WEB_BIND") or (f"0.0.0.0:{port}" if port else DEFAULT_BIND)


class SettingError(SystemExit):
    """A server setting of the environment that cannot be used; the start stops with its message."""


def _number(environ: Mapping[str, str], name: str, default: int, *, base: int = 10) -> int:
    text = environ.get(name, "")
    try:
        value = int(text, base) if text.strip() else default
    except ValueError:
        raise SettingError(f"{name}={text!r} is not a whole number.") from None
    if value < 0:
        raise SettingError(f"{name}={text!r} must not be negative.")
    return value


def server_options(environ: Mapping[str, str]) -> dict:
    """The settings granian gets in this environment (everything but the app).

    A setting that cannot be used stops the start with a message naming it (`SettingError`).
    """
    from granian.constants import HTTPModes, Interfaces

    bind = bind_address(environ)
    if bind.startswith("unix:"):
        where = {
            "uds": Path(bind.removeprefix("unix:")),
            "uds_permissions": _number(environ, "WEB_SOCKET_MODE", 0o660, base=8),
        }
    else:
        host, _, port = bind.rpartition(":")
        if not port.isdigit() or not 0 < int(port) < 65536:
            raise SettingError(
                f"Cannot listen on {bind!r}: give host:port (or unix:/path) in WEB_BIND or a "
                "port in PORT."
            )
        where = {"address": host.strip("[]") or "127.0.0.1", "port": int(port)}
    lifetime = _number(environ, "WEB_WORKER_LIFETIME", 0)
    return {
        **where,
        "interface": Interfaces.WSGI,
        "http": HTTPModes.http1,
        "websockets": False,
        "workers": max(_number(environ, "WEB_CONCURRENCY", multiprocessing.cpu_count() * 2), 1),
        "blocking_threads": max(_number(environ, "WEB_THREADS", 4), 1),
        "workers_kill_timeout": _number(environ, "WEB_GRACEFUL_TIMEOUT", 30),
        "respawn_failed_workers": True,
        "workers_max_rss": _number(environ, "WEB_WORKER_MAX_RSS_MB", 1024) or None,
        "workers_lifetime": max(lifetime, 60) if lifetime else None,
        # The app writes one JSON access line per request itself (`inventory.access`).
        "log_access": False,
        "log_level": "warning",
    }


def prepare_metrics_folder(environ: dict[str, str] | os._Environ) -> str:
    """Create (or empty) the folder where the workers' Prometheus numbers are added up.

    Set before the app is imported: the metrics are created at import, in multiprocess mode only
    if the folder is named then.
    """
    folder = environ.setdefault(
        "PROMETHEUS_MULTIPROC_DIR",
        os.path.join(tempfile.gettempdir(), f"inventory-metrics-{os.getpid()}"),
    )
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(folder, exist_ok=True)
    return folder


# glibc's mallopt parameters (malloc.h).
_M_MMAP_THRESHOLD = -3
_M_ARENA_MAX = -8


def return_freed_memory_to_the_system() -> bool:
    """Make the C allocator give large freed blocks back at once, in this process and its forks.

    A worker builds answers of several megabytes (the whole stock list). glibc serves a block that
    large from its own mapping and unmaps it when freed, but after the first such free it raises
    that size limit (up to 32 MiB), keeping later large blocks in its heap, where they stay after
    being freed: each worker then holds the high-water mark of its largest answers for good. A
    fixed limit of 1 MiB keeps them in mappings of their own, and two arenas (instead of eight
    per core) keep granian's threads from spreading the small ones over more heaps. After the
    route benchmark the four workers held 160-200 MB instead of 400-480 (BENCHMARKS.md). Answers
    False where the C library is not glibc.
    """
    try:
        libc = ctypes.CDLL("libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    return bool(mallopt(_M_MMAP_THRESHOLD, 1024 * 1024)) and bool(mallopt(_M_ARENA_MAX, 2))


def without_server_environment(app: Callable, server_environment: Mapping[str, str]) -> Callable:
    """`app`, given each request without the variables of the server's own environment.

    granian starts every request's WSGI environ from a copy of the process environment, so the
    secrets and URLs of the configuration (SECRET_KEY, DATABASE_URL with its password) would sit
    in every `request.META`, where an error report shows them; and a variable named `HTTP_*`
    would read as a header the client sent. A header the client did send is kept.
    """
    variables = dict(server_environment)

    def application(environ, start_response):
        for name, value in variables.items():
            if environ.get(name) == value:
                del environ[name]
        return app(environ, start_response)

    return application


def load_app_for_workers() -> Callable:
    """Import the app here, once, and leave nothing open that the forked workers would share."""
    from django.core.cache import caches
    from django.db import connections

    from inventory_project.wsgi import application  # runs the system checks

    # Django opens connections lazily, but a check that touched the database or Redis would
    # leave a socket every worker inherits. Frozen objects stay out of the workers' garbage
    # collector, so the pages holding them stay shared instead of being copied into each one.
    connections.close_all()
    caches.close_all()
    gc.freeze()
    return without_server_environment(application, os.environ)


def remove_stale_socket(options: dict) -> None:
    """Remove the unix socket a killed server left behind: binding to it would fail."""
    socket_path = options.get("uds")
    if socket_path is not None and socket_path.is_socket():
        socket_path.unlink()


def main() -> None:
    from granian import Granian

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "inventory_project.settings")
    prepare_metrics_folder(os.environ)
    options = server_options(os.environ)
    return_freed_memory_to_the_system()
    app = load_app_for_workers()
    remove_stale_socket(options)
    # The workers are forked from this process: each one takes the app loaded here.
    Granian("inventory_project.wsgi:application", **options).serve(
        target_loader=lambda _target: app
    )


if __name__ == "__main__":
    main()
