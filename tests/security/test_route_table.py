"""Every route, called by every identity, answers exactly as this hand-written table says.

The table is written out here on purpose, not derived from the `@policy` declarations the code
enforces: a wrong declaration must make this test fail. A route missing from the table fails too,
so a new route is added here with its answers the day it is written.

Identities (tests/security/world.py): anonymous; candidate A, who owns application a1 of the
position; candidate B; an unverified candidate; the position's recruiter and hiring manager; an
interviewer and an HR partner on a1's interview panel; an admin; the hiring manager of another
position; and an interviewer on no panel. POSTs carry a valid CSRF token and an empty form.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from tests.security.world import (
    ANONYMOUS,
    CANDIDATE_A,
    CANDIDATE_B,
    IDENTITIES,
    OFF_PANEL,
    OTHER_HM,
    UNVERIFIED,
    build_world,
    routes,
    sign_in_everyone,
    url_for_rule,
)

REC, INT, HM, HR, ADM = "recruiter", "interviewer", "hiring_manager", "hr", "admin"
A, B, UNV, ANON, OHM, OFF = CANDIDATE_A, CANDIDATE_B, UNVERIFIED, ANONYMOUS, OTHER_HM, OFF_PANEL
CANDIDATES = (A, B, UNV)
STAFF = (REC, INT, HM, HR, ADM, OHM, OFF)

# Outcomes besides a plain status code.
LOGIN = "sign in"  # a redirect to the sign-in page (coming back to the page for a GET)
VERIFY = "verify"  # a redirect to the page asking to confirm the email address
HOME = "home"  # a redirect to the person's own start page


def row(default, **answers):
    """Expected answers of one route: `default` for everyone, then per identity or group."""
    groups = {"candidates": CANDIDATES, "staff": STAFF, "signed_in": CANDIDATES + STAFF}
    table = {who: default for who in IDENTITIES}
    for key, value in answers.items():
        for who in groups.get(key, (key,)):
            table[who] = value
    return table


def staff_only(allowed: dict, *, not_found=(), other=403):
    """A staff route: anonymous signs in, candidates and other roles get 403, `not_found` get 404."""
    table = row(other, anonymous=LOGIN)
    for who in not_found:
        table[who] = 404
    table.update(allowed)
    return table


def by_name(**answers):
    """Map readable keyword names (A, B, OHM, ...) to the identities."""
    names = {
        "A": A,
        "B": B,
        "UNV": UNV,
        "ANON": ANON,
        "OHM": OHM,
        "OFF": OFF,
        "REC": REC,
        "INT": INT,
        "HM": HM,
        "HR": HR,
        "ADM": ADM,
    }
    return {names[k]: v for k, v in answers.items()}


SIGNED_IN_ALL = {who: 200 for who in CANDIDATES + STAFF}

TABLE = {
    # Public pages
    ("GET", "/"): row(200),
    ("GET", "/positions"): row(200),
    ("GET", "/positions/<int:position_id>"): row(200),
    ("GET", "/static/<path:filename>"): row(200),
    ("GET", "/auth/login"): row(HOME, anonymous=200),
    ("POST", "/auth/login"): row(HOME, anonymous=422),
    ("GET", "/auth/signup"): row(HOME, anonymous=200),
    ("POST", "/auth/signup"): row(HOME, anonymous=422),
    ("GET", "/auth/reset"): row(200),
    ("POST", "/auth/reset"): row(422),
    ("GET", "/auth/reset/<token>"): row(400),
    ("POST", "/auth/reset/<token>"): row(400),
    ("GET", "/auth/invite/<token>"): row(400),
    ("POST", "/auth/invite/<token>"): row(400),
    ("GET", "/auth/signup/sent"): row(200),
    ("GET", "/auth/verify/<token>"): row(400),
    ("POST", "/auth/verify/<token>"): row(400),
    ("GET", "/auth/verify/<token>/claim"): row(400),
    ("POST", "/auth/verify/<token>/claim"): row(400),
    ("GET", "/auth/oidc/<provider>/login"): row(404),  # no provider is configured in the tests
    ("GET", "/auth/oidc/<provider>/callback"): row(404),
    ("POST", "/auth/logout"): row(302),
    # Any signed-in account
    ("GET", "/auth/password"): row(200, anonymous=LOGIN),
    ("POST", "/auth/password"): row(422, anonymous=LOGIN),
    ("POST", "/auth/profile"): row(422, anonymous=LOGIN),
    ("GET", "/auth/verify"): row(HOME, anonymous=LOGIN, **{UNV: 200}),
    ("POST", "/auth/verify/resend"): row(302, anonymous=LOGIN),
    # Candidates
    ("GET", "/dashboard"): row(403, anonymous=LOGIN, **{A: 200, B: 200, UNV: VERIFY}),
    ("GET", "/positions/<int:position_id>/apply"): row(403, anonymous=LOGIN, **{A: 409, B: 200, UNV: VERIFY}),
    ("POST", "/positions/<int:position_id>/apply"): row(403, anonymous=LOGIN, **{A: 409, B: 422, UNV: VERIFY}),
    ("GET", "/applications/<int:application_id>"): row(403, anonymous=LOGIN, **{A: 200, B: 404, UNV: VERIFY}),
    ("GET", "/applications/<int:application_id>/cv"): row(403, anonymous=LOGIN, **{A: 200, B: 404, UNV: VERIFY}),
    # A withdraws a1 here (an empty form is a complete withdraw request); B cannot reach it.
    ("POST", "/applications/<int:application_id>/withdraw"): row(403, anonymous=LOGIN, **{A: 302, B: 404, UNV: VERIFY}),
    # Booking: A's application waits for her to choose a time (nobody has hours yet: none is free, and
    # an empty form chooses no time); a booking that is not hers is not found.
    ("GET", "/applications/<int:application_id>/book"): row(403, anonymous=LOGIN, **{A: 200, B: 404, UNV: VERIFY}),
    ("POST", "/applications/<int:application_id>/book"): row(403, anonymous=LOGIN, **{A: 400, B: 404, UNV: VERIFY}),
    ("POST", "/applications/<int:application_id>/bookings/<group_id>/cancel"): row(
        403, anonymous=LOGIN, **{A: 404, B: 404, UNV: VERIFY}
    ),
    ("GET", "/applications/<int:application_id>/bookings/<group_id>/invite.ics"): row(
        403, anonymous=LOGIN, **{A: 404, B: 404, UNV: VERIFY}
    ),
    ("GET", "/applications/<int:application_id>/accommodation"): row(
        403, anonymous=LOGIN, **{A: 200, B: 404, UNV: VERIFY}
    ),
    ("POST", "/applications/<int:application_id>/accommodation"): row(
        403, anonymous=LOGIN, **{A: 400, B: 404, UNV: VERIFY}
    ),
    # The technical screen: a1 is at the recruiter screen, so A is sent back to its page (and its
    # starter files are not found); B reaches nothing of A's.
    ("GET", "/applications/<int:application_id>/technical"): row(403, anonymous=LOGIN, **{A: 302, B: 404, UNV: VERIFY}),
    ("POST", "/applications/<int:application_id>/technical"): row(
        403, anonymous=LOGIN, **{A: 302, B: 404, UNV: VERIFY}
    ),
    ("GET", "/applications/<int:application_id>/takehome"): row(403, anonymous=LOGIN, **{A: 302, B: 404, UNV: VERIFY}),
    ("POST", "/applications/<int:application_id>/takehome/start"): row(
        403, anonymous=LOGIN, **{A: 302, B: 404, UNV: VERIFY}
    ),
    ("POST", "/applications/<int:application_id>/takehome/submissions"): row(
        403, anonymous=LOGIN, **{A: 302, B: 404, UNV: VERIFY}
    ),
    ("GET", "/applications/<int:application_id>/takehome/submissions/<int:version>"): row(
        403, anonymous=LOGIN, **{A: 404, B: 404, UNV: VERIFY}
    ),
    ("POST", "/applications/<int:application_id>/takehome/time"): row(
        403, anonymous=LOGIN, **{A: 302, B: 404, UNV: VERIFY}
    ),
    ("GET", "/applications/<int:application_id>/takehome/files/<int:file_id>"): row(
        403, anonymous=LOGIN, **{A: 404, B: 404, UNV: VERIFY}
    ),
    # A private calendar feed: its address is the secret, and a wrong one is not found.
    ("GET", "/calendar/<token>.ics"): row(404),
    # Staff: every role
    ("GET", "/staff/"): staff_only({who: 200 for who in STAFF}),
    ("GET", "/staff/interviews"): staff_only({who: 200 for who in STAFF}),
    ("GET", "/staff/availability"): staff_only({who: 200 for who in STAFF}),
    ("POST", "/staff/availability"): staff_only({who: 400 for who in STAFF}),
    # Their own calendar: an empty form names no kind of calendar (400); refreshing or disconnecting
    # when none is connected says so and goes back to the page.
    ("POST", "/staff/availability/calendar"): staff_only({who: 400 for who in STAFF}),
    ("POST", "/staff/availability/calendar/refresh"): staff_only({who: 302 for who in STAFF}),
    ("POST", "/staff/availability/calendar/disconnect"): staff_only({who: 302 for who in STAFF}),
    # Only the interviewer's own interview (there is none with this id).
    ("GET", "/staff/interviews/<int:interview_id>/invite.ics"): staff_only({who: 404 for who in STAFF}),
    # The application of a position: its recruiter and hiring manager, and its interview panel.
    ("GET", "/staff/applications/<int:application_id>"): staff_only(
        by_name(REC=200, HM=200, INT=200, HR=200), not_found=(OHM, OFF)
    ),
    ("GET", "/staff/applications/<int:application_id>/cv"): staff_only(
        by_name(REC=200, HM=200, INT=200, HR=200), not_found=(OHM, OFF)
    ),
    # Moving it: only its recruiter and hiring manager; an empty form lacks the stage shown (400).
    ("POST", "/staff/applications/<int:application_id>/advance"): staff_only(
        by_name(REC=400, HM=400), not_found=(OHM,)
    ),
    ("POST", "/staff/applications/<int:application_id>/hire"): staff_only(by_name(REC=400, HM=400), not_found=(OHM,)),
    ("GET", "/staff/applications/<int:application_id>/reject"): staff_only(by_name(REC=200, HM=200), not_found=(OHM,)),
    ("POST", "/staff/applications/<int:application_id>/reject"): staff_only(by_name(REC=400, HM=400), not_found=(OHM,)),
    # Its interviews: moved or cancelled by who runs it (the world has no booking: not found).
    ("GET", "/staff/applications/<int:application_id>/bookings/<group_id>/move"): staff_only(
        by_name(REC=404, HM=404), not_found=(OHM,)
    ),
    ("POST", "/staff/applications/<int:application_id>/bookings/<group_id>/move"): staff_only(
        by_name(REC=404, HM=404), not_found=(OHM,)
    ),
    ("POST", "/staff/applications/<int:application_id>/bookings/<group_id>/cancel"): staff_only(
        by_name(REC=404, HM=404), not_found=(OHM,)
    ),
    ("POST", "/staff/applications/<int:application_id>/accommodations/<int:request_id>"): staff_only(
        by_name(REC=404, HM=404), not_found=(OHM,)
    ),
    # An interview's outcome: its interviewer or who runs the application (no interview has this id).
    ("POST", "/staff/interviews/<int:interview_id>/outcome"): staff_only({who: 404 for who in STAFF}),
    # The technical-screen format of an application: who runs it overrides (an empty form has no reason).
    ("POST", "/staff/applications/<int:application_id>/technical-format"): staff_only(
        by_name(REC=400, HM=400), not_found=(OHM,)
    ),
    # Answering a request for more time: who runs the application (a1 has no take-home: not found).
    ("POST", "/staff/applications/<int:application_id>/takehome/time/<int:request_id>"): staff_only(
        by_name(REC=404, HM=404), not_found=(OHM,)
    ),
    # Blind grading: anyone who may sit in an interviewer pool has a list of take-homes to grade (empty
    # here); a grading page and its files open only to the take-home's graders (no take-home has this
    # code, so nobody); graders are assigned by who runs the application (a1 has nothing handed in).
    ("GET", "/staff/grading"): staff_only(by_name(REC=200, INT=200, HM=200, HR=200, ADM=200, OHM=200, OFF=200)),
    ("GET", "/staff/grading/<code>"): staff_only({who: 404 for who in STAFF}),
    ("POST", "/staff/grading/<code>"): staff_only({who: 404 for who in STAFF}),
    ("GET", "/staff/grading/<code>/files/<int:number>"): staff_only({who: 404 for who in STAFF}),
    ("POST", "/staff/applications/<int:application_id>/takehome/graders"): staff_only(
        by_name(REC=404, HM=404), not_found=(OHM,)
    ),
    # The assignment library: admins and hiring managers (any hiring manager: it is shared); an empty
    # form is refused field by field; no starter file has the id asked for.
    ("GET", "/staff/assignments"): staff_only(by_name(HM=200, ADM=200, OHM=200)),
    ("GET", "/staff/assignments/new"): staff_only(by_name(HM=200, ADM=200, OHM=200)),
    ("POST", "/staff/assignments/new"): staff_only(by_name(HM=400, ADM=400, OHM=400)),
    ("GET", "/staff/assignments/<int:assignment_id>"): staff_only(by_name(HM=200, ADM=200, OHM=200)),
    ("POST", "/staff/assignments/<int:assignment_id>"): staff_only(by_name(HM=400, ADM=400, OHM=400)),
    ("POST", "/staff/assignments/<int:assignment_id>/files"): staff_only(by_name(HM=400, ADM=400, OHM=400)),
    ("GET", "/staff/assignments/<int:assignment_id>/files/<int:file_id>"): staff_only(
        by_name(HM=404, ADM=404, OHM=404)
    ),
    ("POST", "/staff/assignments/<int:assignment_id>/files/<int:file_id>/delete"): staff_only(
        by_name(HM=404, ADM=404, OHM=404)
    ),
    # A position's technical screen: who manages the position.
    ("GET", "/staff/positions/<int:position_id>/technical-screen"): staff_only(
        by_name(REC=200, HM=200, ADM=200), not_found=(OHM,)
    ),
    ("POST", "/staff/positions/<int:position_id>/technical-screen"): staff_only(
        by_name(REC=400, HM=400, ADM=400), not_found=(OHM,)
    ),
    # Positions: recruiters, hiring managers and admins; a position's own pages only for who holds it.
    ("GET", "/staff/positions"): staff_only(by_name(REC=200, HM=200, ADM=200, OHM=200)),
    ("GET", "/staff/positions/new"): staff_only(by_name(REC=200, HM=200, ADM=200, OHM=200)),
    ("POST", "/staff/positions/new"): staff_only(by_name(REC=422, HM=422, ADM=422, OHM=422)),
    ("GET", "/staff/positions/<int:position_id>/edit"): staff_only(by_name(REC=200, HM=200, ADM=200), not_found=(OHM,)),
    ("POST", "/staff/positions/<int:position_id>/edit"): staff_only(
        by_name(REC=422, HM=422, ADM=422), not_found=(OHM,)
    ),
    ("GET", "/staff/positions/<int:position_id>/close"): staff_only(
        by_name(REC=200, HM=200, ADM=200), not_found=(OHM,)
    ),
    ("POST", "/staff/positions/<int:position_id>/close"): staff_only(
        by_name(REC=422, HM=422, ADM=422), not_found=(OHM,)
    ),
    # The pipeline opens candidates: admin alone does not run it.
    ("GET", "/staff/positions/<int:position_id>/pipeline"): staff_only(by_name(REC=200, HM=200), not_found=(OHM,)),
    # Its interviews and interviewer pool: who runs it (an empty form names nobody).
    ("GET", "/staff/positions/<int:position_id>/schedule"): staff_only(by_name(REC=200, HM=200), not_found=(OHM,)),
    ("POST", "/staff/positions/<int:position_id>/schedule"): staff_only(by_name(REC=400, HM=400), not_found=(OHM,)),
    ("GET", "/auth/invitations/new"): staff_only(by_name(REC=200, HM=200, ADM=200, OHM=200)),
    ("POST", "/auth/invitations/new"): staff_only(by_name(REC=422, HM=422, ADM=422, OHM=422)),
    # Scorecards and kits: only the interview's own interviewer (no interview has this id, so nobody);
    # a scorecard read by the hiring team behind the independence rule (none has this id either).
    ("GET", "/staff/interviews/<int:interview_id>/kit"): staff_only({who: 404 for who in STAFF}),
    ("GET", "/staff/interviews/<int:interview_id>/scorecard"): staff_only({who: 404 for who in STAFF}),
    ("POST", "/staff/interviews/<int:interview_id>/scorecard"): staff_only({who: 404 for who in STAFF}),
    ("GET", "/staff/scorecards/<int:scorecard_id>"): staff_only(
        by_name(REC=404, HM=404, INT=404, HR=404, OHM=404, OFF=404)
    ),
    # The decision of an application: who sees it; an empty vote names no choice (400); the hiring
    # manager records it, but a1 is not at the Decision stage (409).
    ("GET", "/staff/applications/<int:application_id>/decision"): staff_only(
        by_name(REC=200, HM=200, INT=200, HR=200), not_found=(OHM, OFF)
    ),
    ("POST", "/staff/applications/<int:application_id>/decision/vote"): staff_only(
        by_name(REC=400, HM=400, INT=400, HR=400), not_found=(OHM, OFF)
    ),
    ("POST", "/staff/applications/<int:application_id>/decision/record"): staff_only(by_name(HM=409), not_found=(OHM,)),
    # Candidate-facing feedback of a1's current stage, composed by whoever runs the position (an empty
    # form names no action: 400); the offer needs a hire, which a1 has not (409); the candidates'
    # ratings of each stage in aggregate, for the position's runners.
    ("GET", "/staff/applications/<int:application_id>/feedback/<int:stage_id>"): staff_only(
        by_name(REC=200, HM=200), not_found=(OHM,)
    ),
    ("POST", "/staff/applications/<int:application_id>/feedback/<int:stage_id>"): staff_only(
        by_name(REC=400, HM=400), not_found=(OHM,)
    ),
    ("GET", "/staff/applications/<int:application_id>/offer"): staff_only(by_name(REC=200, HM=200), not_found=(OHM,)),
    ("POST", "/staff/applications/<int:application_id>/offer"): staff_only(by_name(REC=409, HM=409), not_found=(OHM,)),
    ("GET", "/staff/decisions"): staff_only(by_name(HR=200)),
    ("GET", "/staff/positions/<int:position_id>/satisfaction"): staff_only(by_name(REC=200, HM=200), not_found=(OHM,)),
    # The candidate answers an offer (a1 has none: 404) and rates a stage (an empty form has no rating: 400).
    ("POST", "/applications/<int:application_id>/offer"): row(403, anonymous=LOGIN, **{A: 404, B: 404, UNV: VERIFY}),
    ("POST", "/applications/<int:application_id>/stages/<int:stage_id>/rating"): row(
        403, anonymous=LOGIN, **{A: 400, B: 404, UNV: VERIFY}
    ),
    # The interview kits, edited by admins; an empty form lacks what to probe.
    ("GET", "/admin/kits"): staff_only(by_name(ADM=200)),
    ("GET", "/admin/kits/<kind_key>"): staff_only(by_name(ADM=200)),
    ("POST", "/admin/kits/<kind_key>"): staff_only(by_name(ADM=400)),
    # Admin
    ("GET", "/admin/staff"): staff_only(by_name(ADM=200)),
    ("GET", "/admin/staff/new"): staff_only(by_name(ADM=200)),
    ("POST", "/admin/staff/new"): staff_only(by_name(ADM=422)),
    ("GET", "/admin/staff/<int:user_id>"): staff_only(by_name(ADM=200)),
    ("POST", "/admin/staff/<int:user_id>"): staff_only(by_name(ADM=422)),
    ("GET", "/admin/audit"): staff_only(by_name(ADM=200)),
}


def _home(who: str) -> str:
    return "/staff/" if who in STAFF else "/dashboard"


def _problem(expected, response, who: str, method: str, path: str) -> str | None:
    status = response.status_code
    location = urlsplit(response.headers.get("Location", ""))
    if expected == LOGIN:
        if status != 302 or location.path != "/auth/login":
            return f"expected a redirect to sign in, got {status} {response.headers.get('Location', '')}"
        if method == "GET" and location.query != f"next={path}":
            return f"the sign-in redirect does not come back to {path}: {location.query}"
        return None
    if expected == VERIFY:
        return None if (status, location.path) == (302, "/auth/verify") else f"expected verify, got {status}"
    if expected == HOME:
        home = _home(who) if who != UNV else "/auth/verify"
        if status != 302 or location.path not in (home, "/dashboard"):
            return f"expected a redirect to {home}, got {status} {response.headers.get('Location', '')}"
        return None
    if status != expected:
        return f"expected {expected}, got {status} {response.headers.get('Location', '')}"
    return None


def test_every_route_answers_every_identity_as_the_table_says(app, factory):
    world = build_world(factory)
    sign_in_everyone(app, world)
    calls = routes(app)
    missing = sorted({f"{m} {r.rule}" for r, m in calls} - {f"{m} {rule}" for m, rule in TABLE})
    assert not missing, "routes missing from the hand-written table: " + ", ".join(missing)
    stale = sorted({f"{m} {rule}" for m, rule in TABLE} - {f"{m} {r.rule}" for r, m in calls})
    assert not stale, "table rows for routes that no longer exist: " + ", ".join(stale)
    # Withdrawing and signing out change what follows: they go last, in that order.
    calls.sort(key=lambda rm: (rm[0].endpoint == "accounts.logout", rm[0].endpoint == "candidate.withdraw"))
    failures = []
    for who in IDENTITIES:
        client = world.clients[who]
        for rule, method in calls:
            path = url_for_rule(rule, world)
            response = client.get(path) if method == "GET" else client.post(path, data={})
            problem = _problem(TABLE[(method, rule.rule)][who], response, who, method, path)
            if problem:
                failures.append(f"{method} {path} as {who}: {problem}")
    assert not failures, f"{len(failures)} answers differ from the table:\n" + "\n".join(failures)


def test_the_menu_offers_only_pages_the_table_opens(app, factory):
    from flask import url_for

    from portal.navigation import main_menu

    world = build_world(factory)
    by_path = {rule: answers for (method, rule), answers in TABLE.items() if method == "GET"}
    for who in IDENTITIES:
        if who == ANON:
            continue
        with app.test_request_context():
            items = main_menu(world.user(who))
            paths = [app.url_map._rules_by_endpoint[item.endpoint][0].rule for item in items]
            assert paths, who
            for item, rule in zip(items, paths):
                # An unverified candidate is offered their applications and asked to confirm first.
                assert by_path[rule][who] in (200, VERIFY), f"{who} is offered {url_for(item.endpoint)}"
