"""Forms of the take-home pages: the format choice, the staff override, the library and a position's offer."""

from __future__ import annotations

from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, Form as SubForm, FormField, IntegerField, RadioField, SelectField, StringField
from wtforms import FieldList, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from portal.accounts.forms import MultiCheckboxField
from portal.forms import Form, OneChoiceField, choices
from portal.storage.filetypes import FILE_TYPES
from portal.storage.kinds import MB
from portal.takehome.filetypes import SUBMISSION_TYPES
from portal.takehome.library import Criterion
from portal.takehome.models import SCORES, FormatOffer, GradeRecommendation
from portal.takehome.read import FORMAT_NAMES

RUBRIC_ROWS = 8  # rows shown on the form; empty ones are ignored
MAX_SUBMISSION_MB = 100


class ChooseFormatForm(Form):
    technical_format = RadioField("Your format", validators=[InputRequired("Choose one of the formats.")])


class OverrideFormatForm(Form):
    technical_format = SelectField("Format", choices=choices(FORMAT_NAMES.items()))
    reason = TextAreaField(
        "Reason",
        validators=[DataRequired("Write why you change the format."), Length(max=1000)],
        description="Kept in the audit log; the candidate does not see it.",
    )


class CriterionForm(SubForm):
    """One rubric row (a sub-form: the page's own form carries the CSRF token)."""

    name = StringField("Criterion", validators=[Optional(), Length(max=120)])
    description = TextAreaField(
        "What graders look for", validators=[Optional(), Length(max=2000)], render_kw={"rows": 2}
    )
    weight = IntegerField(
        "Weight",
        validators=[Optional(), NumberRange(1, 100, "A weight is a whole number from 1 to 100.")],
        render_kw={"min": 1, "max": 100},
    )


class AssignmentForm(Form):
    title = StringField("Title", validators=[DataRequired("Give the assignment a title."), Length(max=160)])
    brief = TextAreaField(
        "Brief (Markdown)",
        validators=[DataRequired("Write the brief the candidate reads."), Length(max=20_000)],
        description="The scenario, what to do and what to hand in. Markdown: headings, lists, code, links.",
        render_kw={"rows": 14},
    )
    allowed_types = MultiCheckboxField(
        "File types a candidate may hand in",
        choices=choices(
            (name, FILE_TYPES[name].label[:1].upper() + FILE_TYPES[name].label[1:]) for name in SUBMISSION_TYPES
        ),
        validators=[DataRequired("Allow at least one file type.")],
    )
    max_file_mb = IntegerField(
        "Largest file (MB)",
        validators=[
            InputRequired("Give the largest size of one file, in MB."),
            NumberRange(1, MAX_SUBMISSION_MB, f"From 1 to {MAX_SUBMISSION_MB} MB."),
        ],
        render_kw={"min": 1, "max": MAX_SUBMISSION_MB},
    )
    max_total_mb = IntegerField(
        "All files together (MB)",
        validators=[
            InputRequired("Give the largest size of all files together, in MB."),
            NumberRange(1, MAX_SUBMISSION_MB, f"From 1 to {MAX_SUBMISSION_MB} MB."),
        ],
        render_kw={"min": 1, "max": MAX_SUBMISSION_MB},
    )
    max_files = IntegerField(
        "Most files in one hand-in",
        validators=[InputRequired("Give the most files one hand-in may hold."), NumberRange(1, 50, "From 1 to 50.")],
        render_kw={"min": 1, "max": 50},
    )
    time_limit_hours = IntegerField(
        "Time limit (hours)",
        validators=[InputRequired("Give the time limit in hours."), NumberRange(1, 336, "From 1 to 336 hours.")],
        description="From the moment the candidate starts the clock.",
        render_kw={"min": 1, "max": 336},
    )
    start_within_days = IntegerField(
        "Days to start",
        validators=[InputRequired("Give the days within which to start."), NumberRange(1, 60, "From 1 to 60 days.")],
        description="Counted from reaching the technical screen.",
        render_kw={"min": 1, "max": 60},
    )
    late_submissions_allowed = BooleanField("Accept work handed in after the deadline, marked late")
    criteria = FieldList(FormField(CriterionForm), min_entries=RUBRIC_ROWS, max_entries=RUBRIC_ROWS)

    def validate_max_total_mb(self, field) -> None:
        if field.data is not None and self.max_file_mb.data is not None and field.data < self.max_file_mb.data:
            raise ValidationError("All files together must allow at least one file of the largest size.")

    def validate_criteria(self, field) -> None:
        if not any((e.form.name.data or "").strip() for e in field.entries):
            first = field.entries[0].form.name
            first.errors = [*first.errors, "A rubric needs at least one criterion: name it and give it a weight."]
            raise ValidationError("")
        seen, problem = set(), False
        for entry in field.entries:
            name = (entry.form.name.data or "").strip().lower()
            # Checked here, after each row: an empty field stops the row's own validators (Optional).
            filled = (entry.form.description.data or "").strip() or entry.form.weight.data
            if not name and filled:
                entry.form.name.errors = ["Name this criterion, or clear its description and weight."]
                problem = True
            if name and entry.form.weight.data is None and not entry.form.weight.errors:
                entry.form.weight.errors = ["Give this criterion a weight from 1 to 100."]
                problem = True
            if name and name in seen:
                entry.form.name.errors = [*entry.form.name.errors, "Another criterion has this name."]
                problem = True
            seen.add(name)
        if problem:
            raise ValidationError("")

    def rubric(self) -> list[Criterion]:
        return [
            Criterion(e.form.name.data.strip(), (e.form.description.data or "").strip(), e.form.weight.data)
            for e in self.criteria.entries
            if (e.form.name.data or "").strip() and e.form.weight.data
        ]

    def fields_for_service(self) -> dict:
        return {
            "title": self.title.data.strip(),
            "brief": self.brief.data.strip(),
            "allowed_types": [t for t in SUBMISSION_TYPES if t in self.allowed_types.data],
            "max_file_bytes": self.max_file_mb.data * MB,
            "max_total_bytes": self.max_total_mb.data * MB,
            "max_files": self.max_files.data,
            "time_limit_hours": self.time_limit_hours.data,
            "start_within_days": self.start_within_days.data,
            "late_submissions_allowed": bool(self.late_submissions_allowed.data),
        }

    def fill_from(self, assignment) -> None:
        self.title.data = assignment.title
        self.brief.data = assignment.brief
        self.allowed_types.data = list(assignment.allowed_types)
        self.max_file_mb.data = max(1, assignment.max_file_bytes // MB)
        self.max_total_mb.data = max(1, assignment.max_total_bytes // MB)
        self.max_files.data = assignment.max_files
        self.time_limit_hours.data = assignment.time_limit_hours
        self.start_within_days.data = assignment.start_within_days
        self.late_submissions_allowed.data = assignment.late_submissions_allowed
        for entry, criterion in zip(self.criteria.entries, assignment.criteria):
            entry.form.name.data = criterion.name
            entry.form.description.data = criterion.description
            entry.form.weight.data = criterion.weight


class StarterFileForm(Form):
    file = FileField("Starter file", validators=[FileRequired("Choose a file to add.")])


class PositionOfferForm(Form):
    formats = RadioField(
        "Formats offered",
        choices=choices((f.value, f.label) for f in FormatOffer),
        validators=[InputRequired("Choose the formats the position offers.")],
    )
    assignment_id = SelectField("Take-home assignment", coerce=int, validators=[Optional()])

    def validate_assignment_id(self, field) -> None:
        if self.formats.data in (FormatOffer.BOTH.value, FormatOffer.TAKE_HOME.value) and not field.data:
            raise ValidationError("A take-home needs an assignment: choose one, or offer the live screen only.")


SCORE_CHOICES = choices((str(value), f"{value}: {label}") for value, label in SCORES.items())


class GradeBase(Form):
    recommendation = RadioField(
        "Your recommendation",
        choices=choices((r.value, r.label) for r in GradeRecommendation),
        validators=[InputRequired("Choose your recommendation.")],
    )
    comment = TextAreaField(
        "Your summary for the hiring team",
        validators=[DataRequired("Sum up your grade for the team."), Length(max=10_000)],
        description="What convinced you, and what did not. The candidate never reads it.",
        render_kw={"rows": 5},
    )


def grade_form(criteria, **kwargs) -> GradeBase:
    """The grade form for a rubric: a score from 1 to 4 and a comment per criterion."""

    class GradeForm(GradeBase):
        pass

    for criterion in criteria:
        setattr(
            GradeForm,
            f"score_{criterion.id}",
            OneChoiceField(
                criterion.name,
                choices=SCORE_CHOICES,
                validators=[InputRequired(f"Score “{criterion.name}” from 1 to {max(SCORES)}.")],
                twice=f"Choose one score for “{criterion.name}”: the form sent several.",
            ),
        )
        setattr(
            GradeForm,
            f"comment_{criterion.id}",
            TextAreaField(f"Comment on “{criterion.name}”", validators=[Length(max=5_000)], render_kw={"rows": 3}),
        )
    return GradeForm(**kwargs)
