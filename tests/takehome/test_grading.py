"""Blind grading: graders from the position's pool, assigned by who runs the application, grade a
take-home by its code alone; the weighted score and the recommendations reach who runs it, who
passes it on or rejects it; graders judge alone until their own grade is in."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from portal.audit.models import AuditEntry
from portal.errors import InvalidInput, NotAllowed
from portal.extensions import db
from portal.hiring import services as hiring
from portal.hiring.models import Application
from portal.security import policy
from portal.takehome import grading, grading_read, read
from portal.takehome.models import Attempt, CriterionScore, Grade, GradeStatus
from tests.helpers import PDF, login, outbox
from tests.security.world import table_snapshot

# A candidate whose every trace is distinctive, so a page that leaks any of it is caught.
MARKER_NAME = "Zephyrine Quolmby"
MARKER_EMAIL = "zq.marker7781@cand.example"
MARKER_ANSWER = "Quolmby-answer-marker-7781"
MARKER_CV = "quolmby-cv-marker.pdf"
MARKER_FILE = "zephyrine_quolmby_fix.py"
MARKERS = ("Zephyrine", "Quolmby", "quolmby", "zq.marker7781", "7781")
FIX = b"def parse(line):\n    return line.strip()\n"
NOTES = b"# Notes\n\nThe crash came from a byte-order mark.\n"


def _marked_application(factory, screen) -> tuple[Application, object]:
    candidate = factory.candidate(MARKER_EMAIL, name=MARKER_NAME)
    application = hiring.apply(
        candidate,
        screen.position,
        cv_stream=io.BytesIO(PDF),
        cv_filename=MARKER_CV,
        answers={"motivation": MARKER_ANSWER, "proud_of": MARKER_ANSWER, "link": ""},
    )
    for _ in range(2):
        hiring.move(application.id, "advance", screen.recruiter)
    return application, candidate


def _hand_in(app, application, candidate, files=None) -> None:
    client = app.test_client()
    login(client, candidate)
    base = f"/applications/{application.id}"
    assert client.post(f"{base}/technical", data={"technical_format": "take_home"}).status_code == 302
    assert client.post(f"{base}/takehome/start", data={}).status_code == 302
    files = files if files is not None else {MARKER_FILE: FIX, "NOTES.md": NOTES}
    response = client.post(
        f"{base}/takehome/submissions",
        data={"files": [(io.BytesIO(body), name) for name, body in files.items()]},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:400]


@pytest.fixture
def handed_in(app, factory, screen):
    """The marked candidate's take-home, handed in, with nobody assigned yet."""
    application, candidate = _marked_application(factory, screen)
    _hand_in(app, application, candidate)
    db.session.expire_all()
    return application


def _attempt(application) -> Attempt:
    db.session.expire_all()
    return grading.graded_attempt(application.id)


def _criteria(application):
    return _attempt(application).assignment.criteria


def _form(application, scores=(4, 1), recommendation="yes", comment="Clear diagnosis; the test is thin."):
    data = {"recommendation": recommendation, "comment": comment}
    for criterion, score in zip(_criteria(application), scores):
        data[f"score_{criterion.id}"] = str(score)
        data[f"comment_{criterion.id}"] = f"About {criterion.name}."
    return data


def _assign(screen, application, *graders):
    for grader in graders:
        grading.assign_grader(application.id, screen.recruiter, grader.id)
    return _attempt(application).code


def _signed_in(app, user):
    client = app.test_client()
    login(client, user)
    return client


def _assert_blind(text: str, where: str) -> None:
    for marker in MARKERS:
        assert marker not in text, f"{marker!r} appears in {where}"


# --- blindness --------------------------------------------------------------------------------------


def test_a_grader_sees_the_work_brief_and_rubric_and_nothing_of_the_candidate(app, screen, handed_in):
    grader = screen_engineer(screen, 0)
    code = _assign(screen, handed_in, grader)
    assert re.fullmatch(grading.CODE_PATTERN, code)
    client = _signed_in(app, grader)

    # The mail: the code and the link, nothing else of the take-home's author.
    [mail] = [m for m in outbox("takehome_to_grade") if m.to_addr == grader.email]
    assert code in mail.subject and code in mail.body_text
    for part, text in (("subject", mail.subject), ("text", mail.body_text), ("html", mail.body_html)):
        _assert_blind(text, f"the grader's mail ({part})")
        assert f"/applications/{handed_in.id}" not in text

    pages = {}
    pages["the list"] = client.get("/staff/grading")
    pages["the grading page"] = client.get(f"/staff/grading/{code}")
    for name, response in pages.items():
        assert response.status_code == 200, name
        body = response.get_data(as_text=True)
        _assert_blind(body, name)
        assert f"/staff/applications/{handed_in.id}" not in body, name
    body = pages["the grading page"].get_data(as_text=True)
    assert "Diagnosis" in body and "Fix and test" in body and "The incident" in body
    assert f"{code}-file-1.py" in body and f"{code}-file-2.md" in body

    # Each download: the work itself, as an attachment under a neutral name, never sniffed.
    for number, (suffix, content) in enumerate(((".py", FIX), (".md", NOTES)), start=1):
        download = client.get(f"/staff/grading/{code}/files/{number}")
        assert download.status_code == 200
        assert download.data == content
        headers = "\n".join(f"{k}: {v}" for k, v in download.headers.items())
        _assert_blind(headers, f"the headers of file {number}")
        assert download.headers["Content-Disposition"] == f'attachment; filename="{code}-file-{number}{suffix}"'
        assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert client.get(f"/staff/grading/{code}/files/3").status_code == 404
    downloads = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "takehome.grading_download")).all()
    assert sorted((e.actor_id, e.data["file"]) for e in downloads) == [(grader.id, 1), (grader.id, 2)]

    # After grading, the page with the grades is as blind.
    response = client.post(f"/staff/grading/{code}", data=_form(handed_in))
    assert response.status_code == 302
    _assert_blind(client.get(f"/staff/grading/{code}").get_data(as_text=True), "the graded page")

    # Grading opens the grading pages only: not the application, its CV or the candidate's take-home.
    assert not policy.sees_application(grader, handed_in)
    for path in (
        f"/staff/applications/{handed_in.id}",
        f"/staff/applications/{handed_in.id}/cv",
        f"/staff/applications/{handed_in.id}/decision",
    ):
        assert client.get(path).status_code == 404, path


def screen_engineer(screen, index):
    from portal.accounts.models import User

    return db.session.scalar(select(User).where(User.email == f"eng{index + 1}@staff.example"))


def test_codes_are_random_and_unguessable_from_ids(app, screen, handed_in, factory):
    code = _assign(screen, handed_in, screen_engineer(screen, 0))
    assert str(handed_in.id) not in code[3:] or len(set(code[3:])) > 1
    codes = {grading.new_code() for _ in range(200)}
    assert len(codes) == 200 and all(re.fullmatch(grading.CODE_PATTERN, c) for c in codes)
    # A well-formed code of no take-home, a malformed one and someone else's answer alike: not found.
    client = _signed_in(app, screen_engineer(screen, 1))
    for path in (f"/staff/grading/{code}", "/staff/grading/TH-2345AB", "/staff/grading/th-../../x"):
        assert client.get(path).status_code == 404, path


# --- who assigns, and whom --------------------------------------------------------------------------


def test_only_who_runs_the_application_assigns_graders(app, screen, handed_in, factory):
    engineer, other = screen_engineer(screen, 0), screen_engineer(screen, 1)
    for outsider in (engineer, factory.staff("hiring_manager", email="ohm@staff.example", name="Other HM")):
        with pytest.raises(NotAllowed):
            grading.assign_grader(handed_in.id, outsider, other.id)
    # Through the page: an interviewer is refused by the route's policy, another position's manager
    # does not even find the application; nothing is written and nobody is mailed.
    client = _signed_in(app, engineer)
    before = table_snapshot()
    assert client.post(
        f"/staff/applications/{handed_in.id}/takehome/graders", data={"grader_id": other.id}
    ).status_code in (403, 404)
    assert table_snapshot() == before
    # The hiring manager and the recruiter may.
    grading.assign_grader(handed_in.id, screen.manager, other.id)
    response = _signed_in(app, screen.recruiter).post(
        f"/staff/applications/{handed_in.id}/takehome/graders", data={"grader_id": engineer.id}
    )
    assert response.status_code == 302
    assert {g.grader_id for g in grading.grades_of(_attempt(handed_in).id)} == {engineer.id, other.id}
    actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.action == "takehome.grader_assigned"))
    assert len(list(actions)) == 2


def test_graders_come_from_the_positions_pool_and_are_asked_once(app, screen, handed_in, factory):
    stranger = factory.staff("interviewer", email="stranger@staff.example", name="Not In Pool")
    recruiter = _signed_in(app, screen.recruiter)
    before = table_snapshot()
    with pytest.raises(InvalidInput):
        grading.assign_grader(handed_in.id, screen.recruiter, stranger.id)
    response = recruiter.post(f"/staff/applications/{handed_in.id}/takehome/graders", data={"grader_id": stranger.id})
    assert response.status_code == 400
    assert "interviewer pool" in response.get_data(as_text=True)
    for bad in ("", "abc", "١", "99999999999"):
        response = recruiter.post(f"/staff/applications/{handed_in.id}/takehome/graders", data={"grader_id": bad})
        assert response.status_code == 400, bad
    assert table_snapshot() == before
    engineer = screen_engineer(screen, 0)
    _assign(screen, handed_in, engineer)
    with pytest.raises(InvalidInput):
        grading.assign_grader(handed_in.id, screen.recruiter, engineer.id)
    # The database holds it too: one grade per grader and take-home.
    db.session.add(Grade(attempt_id=_attempt(handed_in).id, grader_id=engineer.id, comment=""))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_nobody_who_can_see_the_candidate_is_asked_to_grade(app, screen, team, handed_in):
    # The hiring manager in the pool and an engineer on the candidate's panel both know whose work it
    # is (and the staff page shows them the other grades): neither is offered, and neither is taken.
    from portal.scheduling import staff as scheduling_staff

    scheduling_staff.set_pool_kinds(screen.recruiter, screen.position, screen.manager, ["hiring_manager"])
    interviewer = screen_engineer(screen, 1)
    hiring.add_to_panel(screen.recruiter, db.session.get(Application, handed_in.id), interviewer)
    db.session.commit()
    recruiter = _signed_in(app, screen.recruiter)
    page = recruiter.get(f"/staff/applications/{handed_in.id}").get_data(as_text=True)
    options = re.search(r'<select id="grader-id".*?</select>', page, re.S).group(0)
    assert screen_engineer(screen, 0).name in options
    assert screen.manager.name not in options and interviewer.name not in options
    before = table_snapshot()
    for person in (screen.manager, interviewer):
        url = f"/staff/applications/{handed_in.id}/takehome/graders"
        response = recruiter.post(url, data={"grader_id": person.id})
        assert response.status_code == 400 and "grade blind" in response.get_data(as_text=True)
        with pytest.raises(InvalidInput):
            grading.assign_grader(handed_in.id, screen.recruiter, person.id)
    assert table_snapshot() == before
    assert outbox("takehome_to_grade") == []


def test_nothing_to_grade_before_anything_is_handed_in(app, screen, factory):
    application, _ = _marked_application(factory, screen)
    with pytest.raises(Exception) as refused:
        grading.assign_grader(application.id, screen.recruiter, screen_engineer(screen, 0).id)
    assert "handed in" in str(refused.value)
    response = _signed_in(app, screen.recruiter).post(
        f"/staff/applications/{application.id}/takehome/graders", data={"grader_id": screen_engineer(screen, 0).id}
    )
    assert response.status_code == 404


# --- the score --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scored", "expected"),
    [
        ([(4, 3), (1, 2)], 280),  # (12 + 2) / 5
        ([(4, 1), (3, 1)], 350),
        ([(3, 1), (2, 1), (2, 1)], 233),  # 7 / 3 = 2.333...
        ([(3, 1), (3, 1), (2, 1)], 267),  # 8 / 3 = 2.666...
        ([(1, 100)], 100),
        ([(4, 7), (4, 93)], 400),
        ([(2, 1), (3, 1), (3, 2)], 275),
        ([(1, 1), (2, 7)], 188),  # 15 / 8 = 1.875, half up
    ],
)
def test_the_weighted_score_is_the_weighted_mean_rounded_half_up(scored, expected):
    assert grading.weighted_score(scored) == expected


def test_the_mean_of_graders_and_its_text():
    assert grading.mean_score([280, 350]) == 315
    assert grading.mean_score([233, 234]) == 234  # 233.5, half up
    assert grading.mean_score([]) is None
    assert grading.score_text(315) == "3.15" and grading.score_text(400) == "4.00"


def test_a_grade_records_scores_weights_and_the_weighted_score(app, screen, handed_in):
    grader = screen_engineer(screen, 0)
    code = _assign(screen, handed_in, grader)
    assert _signed_in(app, grader).post(f"/staff/grading/{code}", data=_form(handed_in, (4, 1))).status_code == 302
    db.session.expire_all()
    [grade] = grading.grades_of(_attempt(handed_in).id)
    assert grade.status == GradeStatus.SUBMITTED.value and grade.recommendation == "yes"
    assert [(s.name, s.weight, s.score) for s in grade.scores] == [("Diagnosis", 3, 4), ("Fix and test", 2, 1)]
    assert grade.weighted_score == 280
    summary = read.grade_summary(handed_in.id)
    assert (summary.code, summary.assigned, summary.submitted, summary.mean_text) == (code, 1, 1, "2.80")
    assert summary.recommendations == (("Engineer 1", "Yes"),)
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "takehome.grade_submitted"))
    assert entry.actor_id == grader.id and entry.data["weighted_score"] == "2.80"


# --- independence -----------------------------------------------------------------------------------


def test_graders_do_not_see_each_others_grades_until_their_own_is_in(app, screen, handed_in):
    first, second = screen_engineer(screen, 0), screen_engineer(screen, 1)
    code = _assign(screen, handed_in, first, second)
    one, two = _signed_in(app, first), _signed_in(app, second)
    assert (
        one.post(f"/staff/grading/{code}", data=_form(handed_in, (4, 4), "strong_yes", "FIRST-SUMMARY")).status_code
        == 302
    )
    attempt = _attempt(handed_in)
    assert not policy.submitted_own_grade(second, attempt)
    page = two.get(f"/staff/grading/{code}").get_data(as_text=True)
    assert "FIRST-SUMMARY" not in page and "Strong yes" not in page.split("Your judgement")[0]
    assert "FIRST-SUMMARY" not in two.get("/staff/grading").get_data(as_text=True)
    # The first sees that one grade is still to come, not the second's (there is none yet).
    assert "1 grader still to submit" in one.get(f"/staff/grading/{code}").get_data(as_text=True)
    assert two.post(f"/staff/grading/{code}", data=_form(handed_in, (2, 1), "no", "SECOND-SUMMARY")).status_code == 302
    page = two.get(f"/staff/grading/{code}").get_data(as_text=True)
    assert "FIRST-SUMMARY" in page and "SECOND-SUMMARY" in page
    assert "FIRST-SUMMARY" not in page.split("The other graders")[0]
    assert "SECOND-SUMMARY" in one.get(f"/staff/grading/{code}").get_data(as_text=True)


def test_a_grader_who_comes_to_run_the_position_waits_for_their_own_grade(app, screen, handed_in, factory):
    # Nobody who runs the position is asked to grade; a grader who takes the position over afterwards
    # still judges alone until their own grade is in.
    from portal.scheduling import staff as scheduling_staff

    successor = factory.staff("hiring_manager", "interviewer", email="next.manager@staff.example", name="Nia Next")
    hiring.set_qualifications(screen.recruiter, successor, ["engineering_manager"])
    scheduling_staff.set_pool_kinds(screen.recruiter, screen.position, successor, ["engineering_manager"])
    engineer = screen_engineer(screen, 0)
    code = _assign(screen, handed_in, engineer, successor)
    assert (
        _signed_in(app, engineer)
        .post(f"/staff/grading/{code}", data=_form(handed_in, comment="ENG-SUMMARY"))
        .status_code
        == 302
    )
    screen.position.hiring_manager_id = successor.id
    db.session.commit()
    staff_page = _signed_in(app, successor).get(f"/staff/applications/{handed_in.id}").get_data(as_text=True)
    assert "ENG-SUMMARY" not in staff_page and "the others' grades show once yours is submitted" in staff_page
    recruiter_page = _signed_in(app, screen.recruiter).get(f"/staff/applications/{handed_in.id}")
    assert "ENG-SUMMARY" in recruiter_page.get_data(as_text=True)


def test_grading_rules_allow_the_same_take_homes_by_sql_as_one_by_one(app, screen, handed_in, factory):
    engineers = [screen_engineer(screen, i) for i in range(3)]
    code = _assign(screen, handed_in, engineers[0], engineers[1])
    assert _signed_in(app, engineers[0]).post(f"/staff/grading/{code}", data=_form(handed_in)).status_code == 302
    # A second take-home, graded by someone else, so that every rule has something to refuse.
    other, candidate = _marked_application_for(factory, screen, "other@cand.example")
    _hand_in(app, other, candidate, {"fix.py": FIX})
    _assign(screen, other, engineers[2])
    people = [*engineers, screen.recruiter, screen.manager, factory.staff("hiring_manager", email="x@staff.example")]
    attempts = db.session.scalars(select(Attempt)).all()
    for rule in (policy.grades_submission, policy.submitted_own_grade):
        for user in people:
            by_check = {a.id for a in attempts if rule(user, a)}
            by_sql = set(db.session.scalars(select(Attempt.id).where(rule.where(user))))
            assert by_check == by_sql, (rule.name, user.email)
    assert policy.submitted_own_grade(engineers[0], _attempt(handed_in))
    assert not policy.submitted_own_grade(engineers[1], _attempt(handed_in))
    assert not policy.grades_submission(engineers[2], _attempt(handed_in))


def _marked_application_for(factory, screen, email):
    candidate = factory.candidate(email, name="Second Person")
    application = hiring.apply(
        candidate, screen.position, cv_stream=io.BytesIO(PDF), cv_filename="cv.pdf", answers={"motivation": "x"}
    )
    for _ in range(2):
        hiring.move(application.id, "advance", screen.recruiter)
    return application, candidate


# --- what the team does with it -----------------------------------------------------------------------


def test_the_recruiter_sees_the_weighted_score_and_passes_to_the_onsite(app, screen, handed_in):
    first, second = screen_engineer(screen, 0), screen_engineer(screen, 1)
    code = _assign(screen, handed_in, first, second)
    recruiter = _signed_in(app, screen.recruiter)
    page = recruiter.get(f"/staff/applications/{handed_in.id}").get_data(as_text=True)
    assert code in page and "Not submitted yet" in page and "Pass: move to" not in page
    _signed_in(app, first).post(f"/staff/grading/{code}", data=_form(handed_in, (4, 1), "yes"))  # 2.80
    _signed_in(app, second).post(f"/staff/grading/{code}", data=_form(handed_in, (4, 3), "strong_yes"))  # 3.60
    page = recruiter.get(f"/staff/applications/{handed_in.id}").get_data(as_text=True)
    assert "3.20 of 4" in page and "2.80" in page and "3.60" in page and "Strong yes" in page
    assert "Pass: move to On-site, round 1" in page
    stage = handed_in.stage_id
    response = recruiter.post(f"/staff/applications/{handed_in.id}/advance", data={"stage_id": stage})
    assert response.status_code == 302
    db.session.expire_all()
    application = db.session.get(Application, handed_in.id)
    assert application.stage.name == "On-site, round 1"
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "takehome.passed"))
    assert entry.data["weighted_score"] == "3.20" and sorted(entry.data["recommendations"]) == ["strong_yes", "yes"]
    # The score stays on the staff page after the move.
    assert "3.20 of 4" in recruiter.get(f"/staff/applications/{handed_in.id}").get_data(as_text=True)


def test_rejecting_after_grading_tells_the_candidate_and_is_audited_with_the_grades(app, screen, handed_in):
    grader = screen_engineer(screen, 0)
    code = _assign(screen, handed_in, grader)
    _signed_in(app, grader).post(f"/staff/grading/{code}", data=_form(handed_in, (1, 2), "strong_no"))
    recruiter = _signed_in(app, screen.recruiter)
    response = recruiter.post(
        f"/staff/applications/{handed_in.id}/reject",
        data={"stage_id": handed_in.stage_id, "feedback": "The fix hid the error instead of handling it."},
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Application, handed_in.id).status == "rejected"
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "takehome.rejected"))
    assert entry.data["weighted_score"] == "1.40" and entry.data["recommendations"] == ["strong_no"]
    [mail] = [m for m in outbox("application_reject")]
    assert "hid the error" in mail.body_text and "1.40" not in mail.body_text and "Engineer 1" not in mail.body_text


# --- bad input --------------------------------------------------------------------------------------


def _rows():
    db.session.expire_all()
    return (
        db.session.scalar(select(func.count()).select_from(CriterionScore)),
        sorted(db.session.scalars(select(Grade.status))),
        db.session.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.action.like("takehome.grade%"))
        ),
    )


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"score_first": None}, "score_first", "Score “Diagnosis”"),
        ({"score_first": "5"}, "score_first", "Not a valid choice"),
        ({"score_first": "0"}, "score_first", "Not a valid choice"),
        ({"score_first": "-1"}, "score_first", "Not a valid choice"),
        ({"score_first": "3.5"}, "score_first", "Not a valid choice"),
        ({"score_first": ["4", "1"]}, "score_first", "Choose one score for “Diagnosis”"),
        ({"recommendation": None}, "recommendation", "Choose your recommendation"),
        ({"recommendation": "maybe"}, "recommendation", "Not a valid choice"),
        ({"comment": ""}, "comment", "Sum up your grade"),
        ({"comment": "   "}, "comment", "Sum up your grade"),
        ({"comment": "Fine\x00work"}, "comment", ""),
        ({"comment": "Fine \u202eknow ton"}, "comment", "direction-changing"),
        ({"comment_first": "Spot \u2066on\u2069"}, "comment_first", "direction-changing"),
        ({"comment_first": "x" * 5001}, "comment_first", ""),
    ],
)
def test_a_bad_grade_is_refused_next_to_the_field_and_nothing_is_written(
    app, screen, handed_in, change, field, message
):
    grader = screen_engineer(screen, 0)
    code = _assign(screen, handed_in, grader)
    first = _criteria(handed_in)[0].id
    data = _form(handed_in, comment="KEPT-SUMMARY")
    data["comment_" + str(_criteria(handed_in)[1].id)] = "KEPT-COMMENT"
    for key, value in change.items():
        key = key.replace("_first", f"_{first}")
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    field = field.replace("_first", f"_{first}")
    before = _rows()
    response = _signed_in(app, grader).post(f"/staff/grading/{code}", data=data)
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    error = re.search(rf'id="{field}-error"[^>]*>(.*?)</small>', body, re.S)
    assert error, f"no error next to {field}"
    assert message in error.group(1)
    assert "KEPT-COMMENT" in body  # what was typed is kept
    if field != "comment" and "comment" not in change:
        assert "KEPT-SUMMARY" in body
    assert _rows() == before


def test_a_grade_is_final_and_only_the_assigned_grader_grades(app, screen, handed_in):
    grader, other = screen_engineer(screen, 0), screen_engineer(screen, 1)
    code = _assign(screen, handed_in, grader)
    client = _signed_in(app, grader)
    assert client.post(f"/staff/grading/{code}", data=_form(handed_in)).status_code == 302
    before = _rows()
    assert client.post(f"/staff/grading/{code}", data=_form(handed_in, (1, 1), "no")).status_code == 409
    assert _signed_in(app, other).post(f"/staff/grading/{code}", data=_form(handed_in)).status_code == 404
    with pytest.raises(NotAllowed):
        grading.submit_grade(code, other, grading.GradeInput())
    assert _rows() == before


def test_the_database_refuses_scores_out_of_range_and_incomplete_grades(app, screen, handed_in):
    grader = screen_engineer(screen, 0)
    _assign(screen, handed_in, grader)
    grade_id = grading.grades_of(_attempt(handed_in).id)[0].id
    for row in (
        CriterionScore(grade_id=grade_id, order=1, name="x", weight=1, score=5, comment=""),
        CriterionScore(grade_id=grade_id, order=1, name="x", weight=1, score=0, comment=""),
        CriterionScore(grade_id=grade_id, order=1, name="x", weight=0, score=3, comment=""),
    ):
        db.session.add(row)
        with pytest.raises(IntegrityError):
            db.session.flush()
        db.session.rollback()
    grade = db.session.get(Grade, grade_id)
    grade.status = GradeStatus.SUBMITTED.value  # without a recommendation, a date or a score
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()
    grade = db.session.get(Grade, grade_id)
    grade.weighted_score = 401
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_the_to_grade_list_shows_own_take_homes_by_code(app, screen, handed_in):
    grader = screen_engineer(screen, 0)
    client = _signed_in(app, grader)
    assert "Nothing to grade" in client.get("/staff/grading").get_data(as_text=True)
    code = _assign(screen, handed_in, grader)
    page = client.get("/staff/grading").get_data(as_text=True)
    assert code in page and "To grade" in page
    assert code not in _signed_in(app, screen_engineer(screen, 1)).get("/staff/grading").get_data(as_text=True)
    assert grading_read.tasks_of(grader)[0].code == code


def test_the_candidate_never_sees_grades_graders_or_the_code(app, screen, factory):
    application, candidate = _marked_application(factory, screen)
    _hand_in(app, application, candidate)
    grader = screen_engineer(screen, 0)
    code = _assign(screen, application, grader)
    _signed_in(app, grader).post(f"/staff/grading/{code}", data=_form(application, comment="GRADER-SUMMARY"))
    client = _signed_in(app, candidate)
    for path in (
        "/dashboard",
        f"/applications/{application.id}",
        f"/applications/{application.id}/takehome",
        f"/applications/{application.id}/takehome/submissions/1",
    ):
        body = client.get(path).get_data(as_text=True)
        for secret in (code, "GRADER-SUMMARY", "Engineer 1", "2.80", "Weighted"):
            assert secret not in body, (path, secret)
    assert client.get(f"/staff/grading/{code}").status_code == 403
    for message in outbox():
        if message.to_addr == candidate.email:
            assert code not in message.body_text and "GRADER-SUMMARY" not in message.body_text


def test_a_closed_application_is_not_graded_and_the_grader_is_not_told_why(app, screen, factory):
    application, candidate = _marked_application(factory, screen)
    _hand_in(app, application, candidate)
    grader = screen_engineer(screen, 0)
    code = _assign(screen, application, grader)
    hiring.move(application.id, "withdraw", candidate)
    client = _signed_in(app, grader)
    before = _rows()
    response = client.post(f"/staff/grading/{code}", data=_form(application))
    assert response.status_code == 409
    body = response.get_data(as_text=True)
    assert "no longer being graded" in body and "withdr" not in body.lower()
    assert _rows() == before
    with pytest.raises(Exception, match="closed"):
        grading.assign_grader(application.id, screen.recruiter, screen_engineer(screen, 1).id)


# --- beside the scorecards ----------------------------------------------------------------------------


def test_the_take_home_grade_shows_beside_the_scorecards_only_to_who_may_read_both(app, screen, team, handed_in):
    # Graders: engineer 1 (grades) and engineer 2 (asked, not done). Then the on-site round with
    # engineers 1 to 4 and HR: engineer 3 is an interviewer who never graded.
    from portal.feedback import catalogue
    from tests.feedback.conftest import held_round
    from tests.feedback.helpers import submit

    catalogue.ensure_defaults()
    db.session.commit()

    first, second, third = (screen_engineer(screen, i) for i in range(3))
    code = _assign(screen, handed_in, first, second)
    assert _signed_in(app, first).post(f"/staff/grading/{code}", data=_form(handed_in, (4, 2))).status_code == 302
    hiring.move(handed_in.id, "advance", screen.recruiter)
    db.session.expire_all()
    onsite = held_round(db.session.get(Application, handed_in.id), team)
    page = f"/staff/applications/{handed_in.id}"

    def section(user) -> str:
        body = _signed_in(app, user).get(page)
        assert body.status_code == 200
        return body.get_data(as_text=True)

    # The interviewer who has not submitted a scorecard sees no assessment of anyone, the grade included.
    assert "Take-home, graded blind" not in section(third)
    submit(_signed_in(app, third), onsite.of(third))
    shown = section(third)
    assert "Take-home, graded blind" in shown and "Weighted score <strong>3.20</strong>" in shown
    assert "1 of 2 graders" in shown

    # A grader whose own grade is still outstanding waits, even with their scorecard submitted.
    submit(_signed_in(app, second), onsite.of(second))
    assert "Take-home, graded blind" not in section(second)
    assert _signed_in(app, second).post(f"/staff/grading/{code}", data=_form(handed_in, (2, 2))).status_code == 302
    assert "2 of 2 graders" in section(second)

    # Who runs the application reads it beside the scorecards too (and in the grading section).
    assert "Take-home, graded blind" in section(screen.recruiter)


def test_a_grade_submitted_from_several_tabs_at_once_is_taken_once(app, screen, handed_in):
    # Six submits of one grade at the same moment: one is taken, the others are told it was (409),
    # never an error page; one grade, one set of scores, one audit entry.
    from tests.helpers import race_requests

    grader = screen_engineer(screen, 0)
    code = _assign(screen, handed_in, grader)
    statuses = race_requests(app, grader, 6, "post", f"/staff/grading/{code}", data=_form(handed_in))
    assert sorted(statuses) == [302] + [409] * 5, statuses
    db.session.expire_all()
    [grade] = db.session.scalars(select(Grade).where(Grade.grader_id == grader.id)).all()
    assert grade.status == GradeStatus.SUBMITTED.value
    assert db.session.scalar(select(func.count()).select_from(CriterionScore)) == len(_criteria(handed_in))
    audited = select(func.count()).where(AuditEntry.action == "takehome.grade_submitted")
    assert db.session.scalar(audited) == 1


def test_a_version_handed_in_after_a_grade_leaves_the_grade_with_the_version_it_judged(app, screen, handed_in):
    grader = screen_engineer(screen, 0)
    code = _assign(screen, handed_in, grader)
    client = _signed_in(app, grader)
    assert client.post(f"/staff/grading/{code}", data=_form(handed_in)).status_code == 302
    candidate = db.session.get(Application, handed_in.id).candidate
    candidate_client = _signed_in(app, candidate)
    response = candidate_client.post(
        f"/applications/{handed_in.id}/takehome/submissions",
        data={"files": [(io.BytesIO(b"# Version two\n"), "NOTES.md")]},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    # The grader keeps the files they graded: version 1, under the same neutral names.
    page = client.get(f"/staff/grading/{code}").get_data(as_text=True)
    assert "version 1" in page and "version 2" not in page
    bodies = {client.get(f"/staff/grading/{code}/files/{n}").get_data() for n in (1, 2)}
    assert bodies == {FIX, NOTES}
    # Who runs the application is told the grade judged an earlier version.
    staff = _signed_in(app, screen.recruiter).get(f"/staff/applications/{handed_in.id}").get_data(as_text=True)
    assert "on version 1" in staff
    assert "The grade judged an earlier version: the candidate handed in version 2 after it" in staff
    assert "no grade of version 2 is in yet" in staff
