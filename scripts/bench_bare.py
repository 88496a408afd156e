"""The bare page the benchmark measures the portal against: one indexed join, a 50-row template.

Served by gunicorn with the portal's own gunicorn.conf.py, on the benchmark's database
(DATABASE_URL), listing the applications of BENCH_POSITION_ID.
"""

from __future__ import annotations

import os

from flask import Flask, render_template
from jinja2 import DictLoader
from sqlalchemy import create_engine, text

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Applications</title></head>
<body><main><h1>Applications</h1>
<table><thead><tr><th>Candidate</th><th>Email</th><th>Status</th><th>In stage since</th></tr></thead><tbody>
{% for row in rows %}<tr><td><a href="/applications/{{ row.id }}">{{ row.name }}</a></td><td>{{ row.email }}</td>
<td>{{ row.status }}</td><td>{{ row.stage_entered_at.strftime('%d %b %Y') }}</td></tr>
{% endfor %}</tbody></table></main></body></html>"""

QUERY = text(
    "SELECT a.id, a.status, a.stage_entered_at, u.name, u.email"
    " FROM applications a JOIN users u ON u.id = a.candidate_id"
    " WHERE a.position_id = :position ORDER BY a.stage_entered_at, a.id LIMIT 50"
)

url = os.environ["DATABASE_URL"]
for prefix in ("postgres://", "postgresql://"):
    if url.startswith(prefix):
        url = "postgresql+psycopg://" + url[len(prefix) :]
engine = create_engine(url, pool_size=4, max_overflow=4)  # at most 8 requests at once per worker
position = int(os.environ["BENCH_POSITION_ID"])
app = Flask(__name__)
# A template compiled once and kept, as Flask does for the portal's own templates (render_template_string
# would compile it again on every request).
app.jinja_loader = DictLoader({"applications.html": PAGE})


@app.route("/")
def applications():
    with engine.connect() as conn:
        rows = conn.execute(QUERY, {"position": position}).all()
    return render_template("applications.html", rows=rows)
