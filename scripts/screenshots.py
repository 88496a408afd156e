"""Screenshots of the portal's main pages for every role, at desktop (1280px) and phone (390px) width.

Run by hand to look at the design (not in CI):

    .venv/bin/python scripts/screenshots.py              # main pages -> screenshots/{desktop,phone}/
    .venv/bin/python scripts/screenshots.py --all        # every page of the accessibility catalogue
    .venv/bin/python scripts/screenshots.py --role candidate --role recruiter

It starts its own portal on 127.0.0.1 (a free port) over a temporary SQLite database with the
demo data, and drives Debian's chromium headless through Playwright (never a downloaded one).
The pages are those of tests/browser/pages.py, the catalogue the accessibility audit opens.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.browser.pages import PAGES, ROLES, demo_ids, prepare_extra_pages  # noqa: E402
from tests.browser.support import DESKTOP, PHONE, launch_chromium, new_context, open_page, sign_in  # noqa: E402

WIDTHS = {"desktop": DESKTOP, "phone": PHONE}


def start_portal(workdir: Path):
    """The portal with the demo data on a temporary SQLite database, served from a thread."""
    from werkzeug.serving import make_server

    from portal import create_app
    from portal.extensions import db

    app = create_app(
        {
            "SECRET_KEY": "screenshots",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{workdir / 'demo.sqlite3'}",
            "STORAGE_DIR": str(workdir / "storage"),
            "MAIL_URL": "",
            "RATELIMIT_ENABLED": False,
        }
    )
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per screenshot is enough
    server = make_server("127.0.0.1", 0, app, threaded=True)
    app.config["BASE_URL"] = f"http://127.0.0.1:{server.server_port}"
    with app.app_context():
        from portal import demo

        db.create_all()
        demo.seed()
        ids = {**demo_ids(), **prepare_extra_pages()}
        db.session.remove()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, app.config["BASE_URL"], ids


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "screenshots", help="folder for the PNG files")
    parser.add_argument("--role", action="append", choices=sorted(ROLES), help="only these roles (repeatable)")
    parser.add_argument("--width", action="append", choices=sorted(WIDTHS), help="only these widths (repeatable)")
    parser.add_argument("--all", action="store_true", help="every page of the catalogue, not only the main ones")
    args = parser.parse_args(argv)

    from playwright.sync_api import sync_playwright

    started = time.monotonic()
    pages = [spec for spec in PAGES if (args.all or spec.screenshot) and (not args.role or spec.role in args.role)]
    widths = {name: size for name, size in WIDTHS.items() if not args.width or name in args.width}
    taken = 0
    with tempfile.TemporaryDirectory(prefix="candor-shots-") as tmp:
        server, base_url, ids = start_portal(Path(tmp))
        try:
            with sync_playwright() as playwright:
                browser = launch_chromium(playwright)
                for role in dict.fromkeys(spec.role for spec in pages):
                    context = new_context(browser, base_url)
                    page = context.new_page()
                    if ROLES[role]:
                        sign_in(page, ROLES[role])
                    for spec in (s for s in pages if s.role == role):
                        for width_name, size in widths.items():
                            page.set_viewport_size(size)
                            status = open_page(page, spec, ids)
                            target = args.out / width_name / f"{spec.id}.png"
                            target.parent.mkdir(parents=True, exist_ok=True)
                            page.screenshot(path=str(target), full_page=True)
                            taken += 1
                            mark = "" if status == spec.status else f"  (HTTP {status}, expected {spec.status})"
                            print(f"{target.relative_to(args.out)}{mark}")
                    context.close()
                browser.close()
        finally:
            server.shutdown()
    print(f"{taken} screenshots in {args.out} ({time.monotonic() - started:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
