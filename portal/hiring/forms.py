"""Forms for applying, positions and pipeline actions."""

from __future__ import annotations

from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, IntegerField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import URL, DataRequired, InputRequired, Length, NumberRange, Optional, Regexp, ValidationError

from portal.forms import Form, choices
from portal.hiring.models import PositionStatus


class ApplyForm(Form):
    cv = FileField(
        "Your CV",
        validators=[FileRequired("Attach your CV as a PDF or Word (.docx) file.")],
        description="PDF or Word (.docx), up to 10 MB.",
        render_kw={
            "accept": ".pdf,.docx,application/pdf,application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        },
    )
    motivation = TextAreaField(
        "Why this role, and why now?",
        validators=[DataRequired(), Length(max=2000)],
        description="A few sentences are plenty (at most 2,000 characters).",
    )
    proud_of = TextAreaField(
        "Something you built or solved that you are proud of",
        validators=[Optional(), Length(max=2000)],
        description="Optional (at most 2,000 characters).",
    )
    link = StringField(
        "Portfolio, GitHub or LinkedIn link",
        validators=[Optional(), URL(message="Enter a full web address, starting with https://."), Length(max=300)],
        description="Optional.",
    )

    def answers(self) -> dict:
        return {
            "motivation": self.motivation.data.strip(),
            "proud_of": (self.proud_of.data or "").strip(),
            "link": (self.link.data or "").strip(),
        }


# How staff read the answers; the candidate reads them with the questions as they were asked.
ANSWER_LABELS = {
    "motivation": "Why this role, and why now?",
    "proud_of": "Something they built or solved that they are proud of",
    "link": "Portfolio, GitHub or LinkedIn",
}
QUESTIONS = {
    "motivation": "Why this role, and why now?",
    "proud_of": "Something you built or solved that you are proud of",
    "link": "Portfolio, GitHub or LinkedIn link",
}


class PositionForm(Form):
    title = StringField("Title", validators=[DataRequired(), Length(max=160)])
    team = StringField("Team", validators=[DataRequired(), Length(max=120)])
    location = StringField(
        "Location", validators=[Optional(), Length(max=120)], description="For example: Remote (Europe), or Amsterdam."
    )
    summary = StringField("One-line summary", validators=[Optional(), Length(max=300)])
    description = TextAreaField(
        "Description",
        validators=[Optional(), Length(max=20000)],
        description="Markdown: **bold**, *italic*, lists, links. Shown to candidates.",
    )
    status = SelectField(
        "Status",
        choices=choices((s.value, s.value.capitalize()) for s in PositionStatus),
        default=PositionStatus.OPEN.value,
    )
    reapply_cooldown_months = IntegerField(
        "Reapply wait after a rejection (months)",
        default=6,
        validators=[
            InputRequired("Enter a whole number of months."),
            NumberRange(6, 12, "Choose between 6 and 12 months."),
        ],
    )
    sla_days = IntegerField(
        "Response time per stage (working days)",
        default=5,
        validators=[
            InputRequired("Enter a whole number of working days."),
            NumberRange(1, 30, "Choose between 1 and 30 working days."),
        ],
    )
    hiring_manager_id = SelectField("Hiring manager", coerce=int, default=0)
    recruiter_id = SelectField("Recruiter", coerce=int, default=0)

    def fields_for_service(self) -> dict:
        return {
            "title": self.title.data.strip(),
            "team": self.team.data.strip(),
            "location": (self.location.data or "").strip(),
            "summary": (self.summary.data or "").strip(),
            "description": (self.description.data or "").strip(),
            "status": self.status.data,
            "reapply_cooldown_months": self.reapply_cooldown_months.data,
            "sla_days": self.sla_days.data,
            "hiring_manager_id": self.hiring_manager_id.data or None,
            "recruiter_id": self.recruiter_id.data or None,
        }


class StageActionForm(Form):
    """A process button: carries the stage the page showed, so a double click or a stale page
    cannot move an application twice. Without that stage the request is refused, never guessed."""

    stage_id = HiddenField(validators=[DataRequired(), Regexp(r"^[0-9]{1,9}$")])

    def expected_stage_id(self) -> int:
        return int(self.stage_id.data)


class ClosePositionForm(Form):
    applications = RadioField(
        "What happens to the applications in progress?",
        choices=choices(
            [
                ("continue", "They continue: each candidate goes on to an outcome as usual."),
                ("close", "They end now: each candidate is told, with the message below."),
            ]
        ),
        default="continue",
        validators=[InputRequired("Choose what happens to the applications in progress.")],
    )
    message = TextAreaField(
        "Message to the candidates",
        validators=[Optional(), Length(max=3000)],
        description="Needed when the applications end: say why, and thank them for their time.",
    )

    def validate_message(self, field) -> None:
        if self.applications.data == "close" and not (field.data or "").strip():
            raise ValidationError("Write the message the candidates will read.")


class RejectForm(StageActionForm):
    feedback = TextAreaField(
        "Feedback for the candidate",
        validators=[DataRequired("Write feedback for the candidate."), Length(max=5000)],
        description="The candidate reads this exactly as written: strengths, growth areas, and what could change next time.",
    )
