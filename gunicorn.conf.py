"""Production gunicorn settings: `gunicorn -c gunicorn.conf.py wsgi:app` (also used by scripts/bench.py).

Threaded workers, so a page view never waits behind a sign-in: verifying a password holds a
thread for tens of milliseconds, but the hash releases the GIL, and the other threads of the
same worker go on serving pages. With sync workers, two people signing in at once would hold
both workers and every page view would queue behind them. Eight threads per worker leave room
for several sign-ins at once (a per-process limit on concurrent hashing makes the rest wait
on their own thread) while pages keep their own threads.

Every setting can be overridden on the command line or in GUNICORN_CMD_ARGS.
"""

import os

workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "8"))
# Idle keep-alive connections from the proxy wait in the worker's poller, not on a thread.
keepalive = 5
timeout = 30
graceful_timeout = 20
# Each worker process keeps its own database pool: SQLAlchemy's default (5 + 10 overflow) covers
# eight threads. Nothing is preloaded, so each worker opens its own connections after the fork.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
