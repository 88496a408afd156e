"""Each route caps the request body by what it takes: a take-home hand-in may be large, a CV less,
a plain form far less, whatever the largest upload kind sets MAX_CONTENT_LENGTH to."""

from __future__ import annotations

import io

from flask import request
from sqlalchemy import func, select

from portal.extensions import db
from portal.files import cap_request
from portal.hiring.models import Application
from tests.helpers import PDF, Factory, login

MB = 1024 * 1024


def test_a_cv_or_a_form_is_capped_far_below_the_largest_hand_in(make_app, tmp_path):
    # Hand-ins of up to 20 MB make the whole-app ceiling 60 MB; a CV of up to 1 MB caps its route at 3 MB.
    app = make_app(MAX_UPLOAD_BYTES=1 * MB, TAKEHOME_SUBMISSION_BYTES=20 * MB, MAX_FORM_BYTES=256 * 1024)
    assert app.config["MAX_CONTENT_LENGTH"] == 60 * MB
    with app.app_context():
        position = Factory().position()
        candidate = Factory().candidate("cap@cand.example")
        client = app.test_client()
        login(client, candidate)
        cv = client.post(
            f"/positions/{position.id}/apply",
            data={"cv": (io.BytesIO(PDF + b"0" * (4 * MB)), "cv.pdf"), "motivation": "Hello"},
        )
        assert cv.status_code == 413
        assert "1 MB" in cv.get_data(as_text=True)
        # Within the route's cap, a CV over its own limit is refused next to the field instead.
        near = client.post(
            f"/positions/{position.id}/apply",
            data={"cv": (io.BytesIO(PDF + b"0" * (2 * MB)), "cv.pdf"), "motivation": "Hello"},
        )
        assert near.status_code in (400, 422)
        # A form without an upload: its own small cap, before the CSRF check reads a byte of it.
        form = client.post("/auth/password", data={"current_password": "x" * (300 * 1024)})
        assert form.status_code == 413
        small = client.post("/auth/password", data={"current_password": "x" * (100 * 1024)})
        assert small.status_code != 413
        db.session.rollback()
        assert db.session.scalar(select(func.count()).select_from(Application)) == 0
    storage = tmp_path / "storage"
    assert not storage.exists() or not any(p.is_file() for p in storage.rglob("*"))


def test_a_hand_in_may_send_up_to_three_times_its_kinds_limit(make_app):
    app = make_app(MAX_UPLOAD_BYTES=1 * MB, TAKEHOME_SUBMISSION_BYTES=20 * MB)
    seen = {}
    for name, path in (
        ("hand-in", "/applications/1/takehome/submissions"),
        ("cv", "/positions/1/apply"),
        ("form", "/auth/login"),
    ):
        with app.test_request_context(path, method="POST"):
            cap_request()
            seen[name] = request.max_content_length
    assert seen == {"hand-in": 60 * MB, "cv": 3 * MB, "form": 1 * MB}
