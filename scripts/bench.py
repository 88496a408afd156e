"""Benchmark: requests/s of the main pages against a bare Flask page, and queries per page.

Run by hand (not in CI):  .venv/bin/python scripts/bench.py [--large 2000] [--seconds 3]
Figures are ratios within one run, since machines here are shared and noisy.
"""
from __future__ import annotations

import argparse
import io
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask import Flask  # noqa: E402
from sqlalchemy import event  # noqa: E402

from portal import create_app  # noqa: E402
from portal.accounts import services as accounts  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.hiring import services as hiring  # noqa: E402
from portal.timeutil import utcnow  # noqa: E402

PDF = b"%PDF-1.4\n%%EOF\n"
PASSWORD = "benchmark-password"


def rate(client, url: str, seconds: float) -> float:
    count, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        count += 1
    return count / (time.perf_counter() - started)


def queries(app, client, url: str) -> int:
    counter = {"n": 0}

    def count(*_):
        counter["n"] += 1

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            client.get(url)
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
    return counter["n"]


def populate(app, applications: int):
    with app.app_context():
        db.create_all()
        recruiter = accounts.create_staff(email="bench-recruiter@example.com", name="Bench Recruiter",
                                          roles=["recruiter"], password=PASSWORD)
        position = hiring.create_position(recruiter, title="Bench Engineer", team="Bench")
        candidate = None
        for index in range(applications):
            candidate = accounts.sign_up(name=f"Bench {index}", email=f"bench{index}@example.com", password=PASSWORD)
            candidate.email_verified_at = utcnow()
            db.session.commit()
            application = hiring.apply(candidate, position, cv_stream=io.BytesIO(PDF), cv_filename="cv.pdf",
                                       answers={"motivation": "x", "proud_of": "", "link": ""})
        return position.id, application.id, candidate.email


def signed_in(app, email: str):
    client = app.test_client()
    page = client.get("/auth/login").get_data(as_text=True)
    token = page.split('name="csrf-token" content="', 1)[1].split('"', 1)[0]
    response = client.post("/auth/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302
    return client


def run(size: int, seconds: float) -> dict:
    workdir = Path(tempfile.mkdtemp(prefix="candor-bench-"))
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{workdir / 'bench.sqlite3'}", "SECRET_KEY": "bench",
                      "STORAGE_DIR": str(workdir / "storage"), "RATELIMIT_ENABLED": False,
                      "PASSWORD_HASH_PARAMETERS": {"time_cost": 1, "memory_cost": 8, "parallelism": 1}})
    position_id, application_id, candidate_email = populate(app, size)
    recruiter = signed_in(app, "bench-recruiter@example.com")
    candidate = signed_in(app, candidate_email)
    pages = {
        "positions (anonymous)": (app.test_client(), "/positions"),
        "pipeline (recruiter)": (recruiter, f"/staff/positions/{position_id}/pipeline"),
        "application (candidate)": (candidate, f"/applications/{application_id}"),
        "dashboard (candidate)": (candidate, "/dashboard"),
    }
    return {name: (rate(client, url, seconds), queries(app, client, url)) for name, (client, url) in pages.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--small", type=int, default=10)
    parser.add_argument("--large", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=2.0)
    args = parser.parse_args()

    bare = Flask("bare")
    bare.add_url_rule("/", "hello", lambda: "hello")
    baseline = rate(bare.test_client(), "/", args.seconds)
    print(f"bare Flask page: {baseline:8.0f} req/s")
    results = {size: run(size, args.seconds) for size in (args.small, args.large)}
    print(f"{'page':28} " + " ".join(f"{f'{size} apps: req/s (x bare) queries':>38}" for size in results))
    for name in results[args.small]:
        cells = []
        for size in results:
            per_second, count = results[size][name]
            cells.append(f"{per_second:10.0f} ({per_second / baseline:5.3f}) {count:8d}")
        print(f"{name:28} " + " ".join(f"{cell:>38}" for cell in cells))


if __name__ == "__main__":
    main()
