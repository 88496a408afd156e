"""Peak memory of the take-home upload path: a 100 MB hand-in streamed to the portal under gunicorn
(one worker), and how far the worker's peak resident memory (VmHWM, reset just before) rises above
its resident memory before the upload. Run by hand, not in CI:

    .venv/bin/python scripts/bench_upload.py             # 100 MB of text in one file
    .venv/bin/python scripts/bench_upload.py --mb 50

Werkzeug spools a file part to a temporary file as it arrives; the storage module copies it in 64 KB
chunks while hashing it; the text check reads it in chunks too. Target: growth under 32 MB.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts.bench import CSRF, SECRET_KEY, Client, Server, sign_in  # noqa: E402

PASSWORD = "bench-upload-password"
CHUNK = 64 * 1024


def prepare(database_url: str, storage: Path, mb: int) -> int:
    """Migrate, then a candidate whose take-home (text, up to `mb` + 5 MB) has started."""
    from flask_migrate import upgrade

    from portal import create_app
    from portal.accounts import services as accounts
    from portal.extensions import db
    from portal.hiring import process
    from portal.hiring import services as hiring
    from portal.takehome import library, screen
    from portal.timeutil import utcnow

    limit = (mb + 5) * 1024 * 1024
    app = create_app(
        {
            "SECRET_KEY": SECRET_KEY,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "STORAGE_DIR": str(storage),
            "TAKEHOME_SUBMISSION_BYTES": limit,
            "PASSWORD_HASH_PARAMETERS": {"time_cost": 1, "memory_cost": 8, "parallelism": 1},
        }
    )
    with app.app_context():
        upgrade()
        manager = accounts.create_staff(
            email="hm@bench.example", name="Bench Manager", roles=("hiring_manager", "recruiter"), password=PASSWORD
        )
        position = hiring.create_position(manager, title="Bench Engineer", team="Bench")
        assignment = library.create_assignment(
            manager,
            [library.Criterion("Everything", "", 1)],
            title="Big upload",
            brief="Upload a large file.",
            allowed_types=["text"],
            max_file_bytes=limit,
            max_total_bytes=limit,
            max_files=1,
            time_limit_hours=4,
            start_within_days=7,
        )
        library.set_position_offer(manager, position, formats="take_home", assignment_id=assignment.id)
        user = accounts.sign_up(name="Bench Candidate", email="cand@bench.example", password=PASSWORD)
        user.email_verified_at = utcnow()
        application = hiring.apply(user, position, cv_stream=_pdf(), cv_filename="cv.pdf", answers={"motivation": "x"})
        for _ in range(2):
            hiring.move(application.id, process.Action.ADVANCE, manager)
        screen.choose(application.id, "take_home", user)
        screen.start(application.id, user)
        found = application.id
        db.session.remove()
        db.engine.dispose()
    return found


def _pdf():
    import io

    from tests.helpers import PDF

    return io.BytesIO(PDF)


def memory_of(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (peak) of a process, in bytes."""
    found = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            found[key] = int(value.split()[0]) * 1024
    return found


def worker_of(master: int) -> int:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    assert len(children) == 1, f"expected one gunicorn worker, found {children}"
    return int(children[0])


def upload(port: int, cookies: dict[str, str], application_id: int, path: Path) -> tuple[int, str]:
    """POST the file as multipart/form-data, streamed from disk in chunks (the client holds none of it)."""
    client = Client(port, cookies)
    status, page = client.request("GET", f"/applications/{application_id}/takehome")
    match = CSRF.search(page) or re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert status == 200 and match, status
    token = next(g for g in match.groups() if g)
    client.close()
    boundary = uuid.uuid4().hex
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{token}\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="{path.name}"\r\n'
        "Content-Type: text/plain\r\n\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    conn.putrequest("POST", f"/applications/{application_id}/takehome/submissions")
    conn.putheader("Content-Type", f"multipart/form-data; boundary={boundary}")
    conn.putheader("Content-Length", str(len(head) + path.stat().st_size + len(tail)))
    conn.putheader("Cookie", "; ".join(f"{k}={v}" for k, v in cookies.items()))
    conn.endheaders()
    conn.send(head)
    with path.open("rb") as source:
        while chunk := source.read(CHUNK):
            conn.send(chunk)
    conn.send(tail)
    response = conn.getresponse()
    response.read()
    location = response.getheader("Location", "")
    conn.close()
    return response.status, location


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mb", type=int, default=100, help="size of the file handed in (default 100)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="candor-bench-upload-") as work:
        work = Path(work)
        database_url = f"sqlite:///{work / 'bench.sqlite3'}"
        storage = work / "storage"
        application_id = prepare(database_url, storage, args.mb)
        big = work / "data.txt"
        line = b"customer-0001,12.5,2026-11-30T00:00:00Z\n"
        with big.open("wb") as out:
            for _ in range(args.mb * 1024 * 1024 // len(line)):
                out.write(line)
        env = {
            "DATABASE_URL": database_url,
            "STORAGE_DIR": str(storage),
            "SECRET_KEY": SECRET_KEY,
            "TAKEHOME_SUBMISSION_MB": str(args.mb + 5),
            "RATELIMIT_ENABLED": "false",
            "WEB_CONCURRENCY": "1",
            "GUNICORN_THREADS": "1",
            "LOG_LEVEL": "WARNING",
        }
        server = Server("wsgi:app", env, ["--timeout", "600"])
        try:
            cookies = sign_in(server.port, "cand@bench.example", PASSWORD)
            worker = worker_of(server.process.pid)
            # Warm up: the take-home page once, so the figure is the upload's, not first-request imports.
            Client(server.port, cookies).request("GET", f"/applications/{application_id}/takehome")
            # Sign-in hashed a password with argon2 (tens of MB): reset the peak so it is the upload's.
            Path(f"/proc/{worker}/clear_refs").write_text("5")
            before = memory_of(worker)
            started = time.monotonic()
            status, location = upload(server.port, cookies, application_id, big)
            took = time.monotonic() - started
            after = memory_of(worker)
        finally:
            server.stop()
        assert status == 302 and "/takehome/submissions/1" in location, (status, location, server.log_tail())
        stored = [p for p in storage.rglob("*") if p.is_file() and ".incoming" not in p.parts]
        mb = 1024 * 1024
        print(f"Handed in {big.stat().st_size / mb:.0f} MB in {took:.1f} s ({status} -> {location})")
        print(f"Stored: {', '.join(f'{p.stat().st_size / mb:.0f} MB' for p in stored)}")
        print(f"Worker RSS before: {before['VmRSS'] / mb:.1f} MB; peak before: {before['VmHWM'] / mb:.1f} MB")
        print(f"Worker peak after: {after['VmHWM'] / mb:.1f} MB")
        growth = after["VmHWM"] - before["VmRSS"]
        print(f"Peak RSS growth over the upload: {growth / mb:.1f} MB (target: under 32 MB)")


if __name__ == "__main__":
    os.environ.setdefault("CANDOR_ENV", "development")
    main()
