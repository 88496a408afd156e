"""Benchmark, from outside, as in production: the portal under gunicorn (gunicorn.conf.py) beside a
bare Flask page (one indexed join, a 50-row template), both driven over HTTP by keep-alive clients.

Prints each main page's requests/s as a ratio to the bare page and its SQL queries, at each data
size, then the latency of /positions while clients sign in back to back. Run by hand, not in CI:

    .venv/bin/python scripts/bench.py                      # PostgreSQL at 127.0.0.1:5432, 1,000 and 100,000
    .venv/bin/python scripts/bench.py --database sqlite --sizes 1000 10000
    .venv/bin/python scripts/bench.py --only signin --gunicorn-args="--worker-class sync --threads 1"

Machines here are shared and noisy: compare ratios within one run, not absolute figures.
On-site loop assembly has its own figure: scripts/bench_loops.py.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import multiprocessing
import os
import re
import shlex
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, event, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from portal import create_app  # noqa: E402
from portal.extensions import db  # noqa: E402
from scripts.bench_seed import Seeded, seed  # noqa: E402

CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf-token" content="([^"]+)"')
SECRET_KEY = "benchmark-secret-key-not-for-production"
BARE = "bare page (1 join, 50 rows)"
# Not a main page: what every signed-in page pays before its own reads (the session's user, checked
# against the database on each request, and the layout), measured the same way for reference.
FLOOR = "floor: signed in, no data"


# --- HTTP clients ------------------------------------------------------------------------------


class Client:
    """One keep-alive connection with its own cookies, like one browser tab."""

    def __init__(self, port: int, cookies: dict[str, str] | None = None):
        self.port = port
        self.cookies = dict(cookies or {})
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def request(self, method: str, path: str, form: dict | None = None) -> tuple[int, str]:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())} if self.cookies else {}
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in range(3):
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                data = response.read()
                break
            except (http.client.HTTPException, ConnectionError):
                # The server closed an idle keep-alive connection: open a new one and send again.
                self.conn.close()
                if attempt == 2:
                    raise
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response.status, data.decode("utf-8", "replace")

    def close(self) -> None:
        self.conn.close()


def sign_in(port: int, email: str, password: str) -> dict[str, str]:
    """Sign in through the real form, on a fresh connection and cookie jar; the session's cookies."""
    client = Client(port)
    try:
        status, page = client.request("GET", "/auth/login")
        match = CSRF.search(page)
        assert status == 200 and match, (status, page[:300])
        status, _ = client.request(
            "POST",
            "/auth/login",
            {"email": email, "password": password, "csrf_token": match.group(1) or match.group(2)},
        )
        assert status == 302, f"sign-in of {email} answered {status}"
        return client.cookies
    finally:
        client.close()


@dataclass
class Rate:
    per_second: float
    p50_ms: float
    p99_ms: float
    requests: int


def drive(
    port: int,
    path: str,
    *,
    connections: int,
    seconds: float,
    warmup: float = 1.0,
    cookies: dict[str, str] | None = None,
) -> Rate:
    """Requests from `connections` keep-alive clients for `seconds` (after a warm-up): rate and latency."""
    latencies: list[list[float]] = [[] for _ in range(connections)]
    failures: list[str] = []
    start_at = time.perf_counter() + warmup
    stop_at = start_at + seconds

    def run(index: int) -> None:
        client = Client(port, cookies)
        try:
            while True:
                began = time.perf_counter()
                if began >= stop_at:
                    return
                status, _ = client.request("GET", path)
                if status != 200:
                    failures.append(f"{path} answered {status}")
                    return
                if began >= start_at:
                    latencies[index].append(time.perf_counter() - began)
        except Exception as exc:  # reported below: a benchmark of errors measures nothing
            failures.append(f"{path}: {exc!r}")
        finally:
            client.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise RuntimeError(failures[0])
    every = sorted(latency for per_client in latencies for latency in per_client)
    return Rate(
        per_second=len(every) / seconds,
        p50_ms=1000 * statistics.median(every),
        p99_ms=1000 * every[min(len(every) - 1, int(len(every) * 0.99))],
        requests=len(every),
    )


def _sign_in_loop(port: int, email: str, password: str, stop, done) -> None:
    while not stop.is_set():
        sign_in(port, email, password)
        with done.get_lock():
            done.value += 1


# --- servers and data ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """gunicorn with the production configuration, serving `target` on a free local port."""

    def __init__(self, target: str, env: dict[str, str], extra_args: list[str]):
        self.port = free_port()
        self.log = tempfile.TemporaryFile()
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "-c",
                str(ROOT / "gunicorn.conf.py"),
                "-b",
                f"127.0.0.1:{self.port}",
                *extra_args,
                target,
            ],
            cwd=ROOT,
            env={"BASE_URL": f"http://127.0.0.1:{self.port}", **os.environ, **env},
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 120
        while True:  # ready when a worker has answered, not merely when the socket listens
            try:
                client = Client(self.port)
                status, _ = client.request("GET", "/")
                client.close()
                if status == 200:
                    break
                raise OSError(status)
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"gunicorn {target} did not start:\n{self.log_tail()}")
                time.sleep(0.2)

    def log_tail(self) -> str:
        self.log.seek(0)
        return self.log.read().decode("utf-8", "replace")[-4000:]

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class Database:
    """A bench database, created empty and dropped afterwards: PostgreSQL or a SQLite file."""

    def __init__(self, kind: str, postgres_url: str, workdir: Path):
        self.kind = kind
        if kind == "sqlite":
            self.url = f"sqlite:///{workdir / 'bench.sqlite3'}"
            for suffix in ("", "-wal", "-shm"):
                Path(workdir / f"bench.sqlite3{suffix}").unlink(missing_ok=True)
            return
        url = make_url(postgres_url.replace("postgresql://", "postgresql+psycopg://", 1))
        self.url = url.set(database="candor_bench").render_as_string(hide_password=False)
        self.admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with self.admin.connect() as conn:
            conn.execute(text('DROP DATABASE IF EXISTS "candor_bench" WITH (FORCE)'))
            conn.execute(text('CREATE DATABASE "candor_bench"'))

    def analyze(self) -> None:
        engine = create_engine(self.url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text("VACUUM ANALYZE" if self.kind == "postgres" else "ANALYZE"))
        engine.dispose()

    def drop(self) -> None:
        if self.kind == "postgres":
            with self.admin.connect() as conn:
                conn.execute(text('DROP DATABASE IF EXISTS "candor_bench" WITH (FORCE)'))
            self.admin.dispose()


def pages_of(data: Seeded) -> dict[str, tuple[str | None, str]]:
    """The main pages, then the floor for reference: who looks (None: anonymous) and where."""
    return {
        "positions list": (None, "/positions"),
        "a position (candidate)": ("candidate", f"/positions/{data.other_position_id}"),
        "candidate dashboard": ("candidate", "/dashboard"),
        "candidate application page": ("candidate", f"/applications/{data.candidate_application_id}"),
        "staff home": ("recruiter", "/staff/"),
        "recruiter pipeline": ("recruiter", f"/staff/positions/{data.position_id}/pipeline"),
        "staff application page": ("recruiter", f"/staff/applications/{data.staff_application_id}"),
        FLOOR: ("candidate", "/auth/signup/sent"),
    }


def count_queries(app, data: Seeded, pages) -> dict[str, int]:
    """SQL statements per page, in process (the same code and database as the served pages)."""
    counted: dict[str, int] = {}
    with app.app_context():
        engine = db.engine
    # Each request runs in its own application context, as under gunicorn (a shared one would carry
    # the signed-in user from one client to the next).
    clients = {None: app.test_client()}
    for who, email in (("candidate", data.candidate_email), ("recruiter", data.recruiter_email)):
        client = app.test_client()
        token = CSRF.search(client.get("/auth/login").get_data(as_text=True))
        response = client.post(
            "/auth/login",
            data={"email": email, "password": data.password, "csrf_token": token.group(1) or token.group(2)},
        )
        assert response.status_code == 302, response.status_code
        clients[who] = client
    statements = []

    def count(*_):
        statements.append(1)

    for name, (who, path) in pages.items():
        clients[who].get(path)  # warm: first-use look-ups are not the page's
        statements.clear()
        event.listen(engine, "before_cursor_execute", count)
        try:
            assert clients[who].get(path).status_code == 200, path
        finally:
            event.remove(engine, "before_cursor_execute", count)
        counted[name] = len(statements)
    return counted


# --- the runs -----------------------------------------------------------------------------------


def measure_size(args, size: int, workdir: Path, *, signin: bool, pages_wanted: bool):
    database = Database(args.database, args.postgres_url, workdir)
    try:
        # Production mode, as deployed; it insists on mail, https and shared rate limits, which the pages
        # measured here never use (no mail is sent, no limit is reached), so placeholders stand in.
        env = {
            "CANDOR_ENV": "production" if args.database == "postgres" else "development",
            "SECRET_KEY": SECRET_KEY,
            "DATABASE_URL": database.url,
            "STORAGE_DIR": str(workdir / "storage"),
            "LOG_LEVEL": "WARNING",
            "MAIL_URL": "smtp://127.0.0.1:9",
            "BASE_URL": "https://bench.invalid",
            "SESSION_COOKIE_SECURE": "false",
            "RATELIMIT_ENABLED": "false",
        }
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": database.url,
                "SECRET_KEY": SECRET_KEY,
                "STORAGE_DIR": env["STORAGE_DIR"],
                "LOG_LEVEL": "WARNING",
            },
            env={},
        )
        started = time.perf_counter()
        with app.app_context():
            db.create_all()
            data = seed(size)
            db.session.remove()
            db.engine.dispose()
        database.analyze()
        seeded_in = time.perf_counter() - started
        print(f"  {size:,} applications seeded in {seeded_in:.1f} s", file=sys.stderr)
        pages = pages_of(data)
        results = {"seconds_to_seed": seeded_in}
        extra = shlex.split(args.gunicorn_args)
        with contextlib.ExitStack() as servers:
            portal = Server("wsgi:app", env, extra)
            servers.callback(portal.stop)
            bare = Server("scripts.bench_bare:app", {**env, "BENCH_POSITION_ID": str(data.position_id)}, extra)
            servers.callback(bare.stop)
            try:
                if pages_wanted:
                    results["queries"] = count_queries(app, data, pages)
                    sessions = {
                        None: None,
                        "candidate": sign_in(portal.port, data.candidate_email, data.password),
                        "recruiter": sign_in(portal.port, data.recruiter_email, data.password),
                    }
                    # Each page is measured right after the bare page, in several rounds: the ratio of
                    # each pair cancels the machine's load of that moment, and the median round is kept.
                    bare_runs, pairs = [], {name: [] for name in pages}
                    for round_number in range(1, args.rounds + 1):
                        for name, (who, path) in pages.items():
                            print(f"  {size:,}, round {round_number}: {name}", file=sys.stderr)
                            bare_rate = retried(
                                lambda: drive(bare.port, "/", connections=args.connections, seconds=args.seconds),
                                bare,
                            )
                            rate = retried(
                                lambda: drive(
                                    portal.port,
                                    path,
                                    connections=args.connections,
                                    seconds=args.seconds,
                                    cookies=sessions[who],
                                ),
                                portal,
                            )
                            bare_runs.append(bare_rate)
                            pairs[name].append((rate.per_second / bare_rate.per_second, rate))
                    rates, ratios = {}, {}
                    for name, measured in pairs.items():
                        ratios[name], rates[name] = sorted(measured, key=lambda pair: pair[0])[len(measured) // 2]
                    rates[BARE], ratios[BARE] = sorted(bare_runs, key=lambda r: r.per_second)[len(bare_runs) // 2], 1.0
                    results["ratios"] = ratios
                    results["rates"] = rates
                    with app.app_context():
                        db.engine.dispose()
                if signin:
                    results["signin"] = signin_scenario(args, portal.port, data)
            except Exception:
                print(f"portal log:\n{portal.log_tail()}\nbare page log:\n{bare.log_tail()}", file=sys.stderr)
                raise
        return results
    finally:
        database.drop()


def retried(measure, server: Server, attempts: int = 3) -> Rate:
    """A measurement, repeated when the server failed: on a shared PostgreSQL, other programs
    sometimes take every connection for a moment ("too many clients"), which says nothing of the page."""
    for attempt in range(1, attempts + 1):
        mark = server.log.seek(0, os.SEEK_END)
        try:
            return measure()
        except RuntimeError as exc:
            server.log.seek(mark)
            if attempt == attempts or b"too many clients" not in server.log.read():
                raise
            print(f"  {exc}: the database refused a connection, measuring again", file=sys.stderr)
            time.sleep(5)
    raise AssertionError("unreachable")


def signin_scenario(args, port: int, data: Seeded):
    """p50/p99 of /positions from one client, idle, then while clients sign in back to back."""
    print("  sign-in scenario", file=sys.stderr)
    idle = drive(port, "/positions", connections=1, seconds=args.signin_seconds)
    stop, done = multiprocessing.Event(), multiprocessing.Value("i", 0)
    # Separate processes, so that the signing-in clients do not slow the measuring client down.
    clients = [
        multiprocessing.Process(target=_sign_in_loop, args=(port, f"bench{i}@example.com", data.password, stop, done))
        for i in range(args.signin_clients)
    ]
    for client in clients:
        client.start()
    try:
        time.sleep(1)
        before = done.value
        busy = drive(port, "/positions", connections=1, seconds=args.signin_seconds, warmup=0)
        sign_ins = done.value - before
    finally:
        stop.set()
        for client in clients:
            client.join(timeout=30)
    if sign_ins == 0:
        raise RuntimeError("no sign-in finished during the measurement")
    return idle, busy, sign_ins / args.signin_seconds


# --- report -------------------------------------------------------------------------------------


def report(args, runs: dict[int, dict], worker_setup: str) -> None:
    sizes = list(runs)
    print()
    print(
        f"Candor benchmark: {args.database}, gunicorn -c gunicorn.conf.py {args.gunicorn_args} ({worker_setup}), "
        f"{args.connections} connections, {args.rounds} rounds of {args.seconds:g} s per page right after the bare page "
        "(median ratio shown), one position holding the applications"
    )
    with_rates = [size for size in sizes if "rates" in runs[size]]
    if with_rates:
        cell = f"{'req/s':>7} {'x bare':>6} {'p50 ms':>7} {'p99 ms':>7} {'SQL':>4}"
        head = "".join(f" | {f'{size:,} applications':^{len(cell)}}" for size in with_rates)
        first, last = with_rates[0], with_rates[-1]
        scale = f" | time at {last // 1000:,}k" if last >= 1000 else f" | time at {last}"
        print(f"\n{'page':30}{head}" + (scale if len(with_rates) > 1 else ""))
        print(
            f"{'':30}"
            + "".join(f" | {cell}" for _ in with_rates)
            + ((f" | vs {first // 1000:,}k" if first >= 1000 else f" | vs {first}") if len(with_rates) > 1 else "")
        )
        for name in [BARE] + [n for n in runs[first]["rates"] if n != BARE]:
            line = f"{name:30}"
            for size in with_rates:
                rate = runs[size]["rates"][name]
                ratio = runs[size]["ratios"][name]
                queries = runs[size].get("queries", {}).get(name, "")
                line += f" | {rate.per_second:7.1f} {ratio:6.2f} {rate.p50_ms:7.1f} {rate.p99_ms:7.1f} {queries!s:>4}"
            if len(with_rates) > 1:
                # Time per request at the largest size over the smallest, each relative to the bare page
                # measured in the same run, so that the machine's load in between cancels out.
                line += f" | {runs[first]['ratios'][name] / runs[last]['ratios'][name]:5.2f}x"
            print(line)
        print(f"\n{FLOOR}: a static page seen by a signed-in candidate, for reference (not a main page: no target).")
        print(
            f"targets: every page >= 0.80 x bare at {last:,}; time at {last:,} <= 1.2x time at {first:,} "
            "(relative to the bare page of each run). Seeding: "
            + ", ".join(f"{size:,} in {runs[size]['seconds_to_seed']:.0f} s" for size in sizes)
        )
    for size in sizes:
        if "signin" in runs[size]:
            idle, busy, per_second = runs[size]["signin"]
            print(
                f"\n/positions from one client at {size:,} applications, idle and while {args.signin_clients} "
                f"clients sign in back to back ({per_second:.1f} sign-ins/s):"
            )
            print(f"{'':22} {'p50 ms':>8} {'p99 ms':>8} {'requests':>9}")
            print(f"{'idle':22} {idle.p50_ms:8.1f} {idle.p99_ms:8.1f} {idle.requests:9d}")
            print(f"{'during sign-ins':22} {busy.p50_ms:8.1f} {busy.p99_ms:8.1f} {busy.requests:9d}")
            print(
                f"p99 during / idle: {busy.p99_ms / idle.p99_ms:.1f}x (target <= 3x); "
                f"p50: {busy.p50_ms / idle.p50_ms:.1f}x"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument(
        "--postgres-url",
        default="postgresql://postgres@127.0.0.1:5432",
        help="server where the database candor_bench is created and dropped",
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 100_000], help="applications per run")
    parser.add_argument("--seconds", type=float, default=3.0, help="measurement per page, each round")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of (bare page, page) pairs per page")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--signin-clients", type=int, default=4)
    parser.add_argument("--signin-seconds", type=float, default=10.0)
    parser.add_argument("--only", choices=["pages", "signin"], help="one part of the benchmark")
    parser.add_argument(
        "--gunicorn-args", default="", help='more gunicorn options, e.g. "--worker-class sync --threads 1"'
    )
    args = parser.parse_args()

    worker_setup = subprocess.run(
        [
            sys.executable,
            "-c",
            "import runpy; c = runpy.run_path('gunicorn.conf.py'); "
            "print(f\"{c.get('workers')} {c.get('worker_class')} workers x {c.get('threads')} threads\")",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
    ).stdout.strip()
    if args.gunicorn_args:
        worker_setup = f"configured: {worker_setup}, then {args.gunicorn_args}"
    runs = {}
    with tempfile.TemporaryDirectory(prefix="candor-bench-") as workdir:
        for index, size in enumerate(args.sizes):
            signin = args.only != "pages" and index == 0
            pages_wanted = args.only != "signin"
            if not (signin or pages_wanted):
                continue
            runs[size] = measure_size(args, size, Path(workdir), signin=signin, pages_wanted=pages_wanted)
    report(args, runs, worker_setup)


if __name__ == "__main__":
    main()
