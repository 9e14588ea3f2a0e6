"""Gunicorn settings for the `web` process (see Procfile); each can be overridden from the env."""

import gc
import multiprocessing
import os
import shutil
import tempfile

# Loopback unless told otherwise: the buffering proxy in front (nginx, docs/deployment.md) must be
# the only way in. Sync workers serve one connection each, so a client that sends its request or
# reads its answer slowly holds a whole worker; eight such clients reached directly stall every
# worker of a host. nginx reads the whole request and takes the whole answer before a worker sees
# or waits on them. GUNICORN_BIND (e.g. unix:/run/inventory/web.sock) says where to listen
# instead; PORT alone, set by platforms whose router forwards to it, listens on every interface.
port = os.environ.get("PORT", "")
bind = os.environ.get("GUNICORN_BIND") or (f"0.0.0.0:{port}" if port else "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
# A million-row CSV import takes about a minute on two cores; a worker killed mid-import loses
# nothing (one transaction), but the client would have to send the file again.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "300"))
graceful_timeout = 30
keepalive = 5
# Import the app once, in the master, and fork the workers from it. A worker then starts in
# milliseconds instead of the seconds its imports take, so recycling one (below) never leaves
# its connections waiting, and the workers share the master's memory for everything they only
# read (the code, the settings, the URL patterns) instead of holding five copies of it. The price:
# `kill -HUP` restarts the workers on the code the master loaded; a deploy restarts the master.
preload_app = os.environ.get("GUNICORN_PRELOAD", "true").lower() not in ("0", "false", "no")
# Recycle workers now and then so a slow leak can never take a host down.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = 200
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = None
errorlog = "-"

# Prometheus multiprocess mode: every worker writes its metrics here and /metrics adds them up.
# Set before the workers import the app (they fork from this process after reading this file).
PROMETHEUS_DIR = os.environ.setdefault(
    "PROMETHEUS_MULTIPROC_DIR",
    os.path.join(tempfile.gettempdir(), f"inventory-metrics-{os.getpid()}"),
)

# Numbers left by an earlier master would be added to this one's. Emptied here, while the config
# is read: with `preload_app` the master imports the app, and so creates its metrics, before any
# server hook runs.
shutil.rmtree(PROMETHEUS_DIR, ignore_errors=True)
os.makedirs(PROMETHEUS_DIR, exist_ok=True)


def pre_fork(server, worker):
    # Nothing the master opened may be shared by two workers: Django opens its connections
    # lazily, but a check or a hook that touched the database or Redis would leave a socket that
    # every child inherits. Freezing the objects made so far keeps the workers' garbage collector
    # off them, so the pages that hold them stay shared instead of being copied into each worker.
    if server.cfg.preload_app:
        from django.core.cache import caches
        from django.db import connections

        connections.close_all()
        caches.close_all()
        gc.freeze()


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
