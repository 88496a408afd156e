"""Forms of the scorecard and kit pages. A scorecard's form is built for the competencies it rates."""

from __future__ import annotations

from wtforms import DateField, FieldList, Form as SubForm, FormField, HiddenField, RadioField, StringField
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from portal.feedback.models import KEEPER_ANSWERS, KEEPER_TEST, RATINGS, Recommendation
from portal.forms import Form, choices

RATING_CHOICES = choices((str(value), f"{value}: {label}") for value, label in RATINGS.items())
MAX_NOTES = 10_000
MAX_NOTE = 5_000


class ScorecardBase(Form):
    keeper_test = RadioField(
        f"Keeper Test: {KEEPER_TEST}", choices=choices(KEEPER_ANSWERS.items()), validators=[Optional()]
    )
    recommendation = RadioField(
        "Overall recommendation",
        choices=choices((r.value, r.label) for r in Recommendation),
        validators=[Optional()],
    )
    private_notes = TextAreaField(
        "Private notes",
        validators=[Length(max=MAX_NOTES)],
        description="Evidence for your ratings, for the hiring team only. Never shown to the candidate.",
        render_kw={"rows": 6},
    )
    strengths = TextAreaField(
        "Suggested feedback for the candidate: strengths",
        validators=[Length(max=MAX_NOTE)],
        description="A suggestion: the recruiter composes what the candidate reads, and publishes it.",
        render_kw={"rows": 3},
    )
    growth_areas = TextAreaField(
        "Suggested feedback for the candidate: growth areas",
        validators=[Length(max=MAX_NOTE)],
        render_kw={"rows": 3},
    )


def scorecard_form(competencies, *, amending: bool, **kwargs) -> ScorecardBase:
    """The form for these competencies (one rating each); an amendment asks for its reason."""

    class ScorecardForm(ScorecardBase):
        pass

    for competency in competencies:
        setattr(
            ScorecardForm,
            f"rating_{competency.id}",
            RadioField(competency.name, choices=RATING_CHOICES, validators=[Optional()]),
        )
    if amending:
        ScorecardForm.reason = TextAreaField(
            "Why you amend it",
            validators=[DataRequired("Say why you amend the scorecard."), Length(max=1000)],
            description="Kept with the earlier version, which the recruiter can read.",
            render_kw={"rows": 2},
        )
    return ScorecardForm(**kwargs)


class CompetencyForm(SubForm):
    """One competency of a kit (a sub-form: the page's own form carries the CSRF token)."""

    id = HiddenField()
    name = StringField("Competency", validators=[Optional(), Length(max=120)])
    description = TextAreaField("What it means", validators=[Length(max=2000)], render_kw={"rows": 2})
    strong = TextAreaField("A strong answer", validators=[Length(max=2000)], render_kw={"rows": 2})
    weak = TextAreaField("A weak answer", validators=[Length(max=2000)], render_kw={"rows": 2})


class KitForm(Form):
    probe = TextAreaField(
        "What to probe (Markdown)",
        validators=[DataRequired("Say what interviewers should probe."), Length(max=20_000)],
        render_kw={"rows": 6},
    )
    scenarios = TextAreaField(
        "Scenario prompts, one per line",
        validators=[Length(max=20_000)],
        description="Real-world problems to discuss, not trivia.",
        render_kw={"rows": 6},
    )
    competencies = FieldList(FormField(CompetencyForm), min_entries=0, max_entries=30)


class VoteForm(Form):
    choice = RadioField(
        "Your vote",
        choices=choices((("hire", "Hire"), ("no_hire", "No hire"))),
        validators=[DataRequired("Vote hire or no hire.")],
    )
    reason = TextAreaField(
        "Why, in a sentence or two",
        validators=[DataRequired("Give a short reason for your vote."), Length(max=500)],
        render_kw={"rows": 2},
    )


class RecordDecisionForm(Form):
    feedback = TextAreaField(
        "Feedback for the candidate (needed when the vote is not unanimous)",
        validators=[Length(max=5000)],
        render_kw={"rows": 4},
    )


class StageFeedbackForm(Form):
    body = TextAreaField(
        "Feedback for the candidate (Markdown)",
        validators=[DataRequired("Write the feedback the candidate will read."), Length(max=10_000)],
        description="Strengths first, then growth areas. The candidate reads it exactly as the preview shows.",
        render_kw={"rows": 12},
    )


class OfferForm(Form):
    role_title = StringField("Role offered", validators=[DataRequired("Name the role offered."), Length(max=160)])
    start_date = DateField("Start date", validators=[DataRequired("Give the start date, as YYYY-MM-DD.")])
    note = TextAreaField(
        "A note with the offer (optional)",
        validators=[Length(max=5000)],
        description="Plain text: salary details, who to contact, next steps.",
        render_kw={"rows": 4},
    )
    feedback = TextAreaField(
        "Feedback for the candidate (Markdown)",
        validators=[DataRequired("Write the team's feedback for the candidate."), Length(max=10_000)],
        description="What convinced the team, and what to grow in the first months.",
        render_kw={"rows": 8},
    )


class OfferAnswerForm(Form):
    answer = RadioField(
        "Your answer",
        choices=choices((("accept", "I accept the offer"), ("decline", "I decline the offer"))),
        validators=[DataRequired("Choose accept or decline.")],
    )


class StageRatingForm(Form):
    rating = RadioField(
        "How was this stage for you?",
        choices=choices(
            (str(k), f"{k}: {v}") for k, v in ((1, "Very poor"), (2, "Poor"), (3, "OK"), (4, "Good"), (5, "Excellent"))
        ),
        validators=[DataRequired("Choose a rating from 1 to 5.")],
    )
    comment = TextAreaField(
        "Anything to tell us? (optional)",
        validators=[Length(max=2000)],
        description="Anonymous: interviewers never see it, and recruiters only read answers of five or more candidates together.",
        render_kw={"rows": 3},
    )
