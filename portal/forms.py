"""Form pieces shared by every capability."""

from __future__ import annotations

import re
import unicodedata
from zoneinfo import available_timezones

from flask_wtf import FlaskForm
from wtforms import FieldList, FormField, RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import ValidationError


def choices(pairs) -> list[SelectChoice]:
    """Options for a select or checkbox group from (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]


# Characters no person types: NUL is refused by PostgreSQL outright, and the others hide text or
# break mail headers. Line breaks are allowed only where the field is a multi-line text area.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")  # C0 and C1 controls, DEL
_LINE_BREAK = re.compile(r"[\r\n\u2028\u2029]")
_TEXT_FIELDS = {"StringField", "EmailField", "URLField", "SearchField", "TelField"}
# Zero-width joiners are format characters too, but Persian, Indic scripts and emoji need them
# between two visible characters; anywhere else they only hide something.
_JOINERS = {"\u200c", "\u200d"}
# Letters and symbols that draw nothing: a name made of them looks empty.
_BLANK = {"\u115f", "\u1160", "\u3164", "\uffa0", "\u2800"}


def normalise_line_breaks(value: str) -> str:
    """A browser posts a text area's line breaks as CR LF but counts each as one character against
    `maxlength`: with one LF per break the server's length limit is the one the browser applied."""
    return value.replace("\r\n", "\n").replace("\r", "\n")


def strip_control_characters(value: str) -> str:
    return _LINE_BREAK.sub(" ", _CONTROL.sub("", value))


def _visible(ch: str) -> bool:
    return unicodedata.category(ch)[0] not in "ZCM" and ch not in _BLANK


def hidden_characters(value: str) -> bool:
    """True when a one-line value holds a format character (bidi overrides and isolates, zero-width
    spaces, soft hyphens...) that makes it look other than it is."""
    for i, ch in enumerate(value):
        if unicodedata.category(ch) != "Cf":
            continue
        if ch in _JOINERS and 0 < i < len(value) - 1 and _visible(value[i - 1]) and _visible(value[i + 1]):
            continue
        return True
    return False


def has_visible_character(value: str) -> bool:
    return any(_visible(ch) for ch in value)


def text_problem(value: str, *, multi_line: bool = False) -> str | None:
    """What is wrong with typed text, if anything: control characters anywhere (line breaks and tabs
    are fine in a multi-line field), line breaks in a one-line field, something invisible or
    direction-changing, or nothing visible."""
    if _CONTROL.search(value):
        return "Remove the invisible control characters from this field."
    if not multi_line and _LINE_BREAK.search(value):
        return "Keep this to one line: remove the line breaks."
    # In free text too: a colleague or a candidate reads it, and a direction override would make it
    # read other than it is (a line break next to a joiner counts as invisible, so it is refused).
    if hidden_characters(value):
        return "Remove the invisible or direction-changing characters from this field."
    if value.strip() and not has_visible_character(value):
        return "Enter at least one visible character."
    return None


def whole_number(value: str | None, *, max_digits: int = 9) -> int | None:
    """A whole number typed in ASCII digits (str.isdigit also takes other scripts' digits and
    superscripts), small enough for an integer column; None otherwise."""
    value = (value or "").strip()
    if not value or len(value) > max_digits or not (value.isascii() and value.isdigit()):
        return None
    return int(value)


def typed_text(value: str | None, *, max_length: int, multi_line: bool = False, required: str = "") -> str:
    """Text from a plain form field (not a Form), checked as a Form checks its text: stripped, or a
    DomainError saying what to change. `required` is the message when nothing visible was typed."""
    from portal.errors import InvalidInput

    value = (value or "").strip()
    if multi_line:
        value = normalise_line_breaks(value)
    if required and not has_visible_character(value):
        raise InvalidInput(required)
    problem = text_problem(value, multi_line=multi_line)
    if problem:
        raise InvalidInput(problem)
    if len(value) > max_length:
        raise InvalidInput(f"Please keep it under {max_length:,} characters.")
    return value


def _fields(fields):
    """Every field among these, including those of sub-forms and repeated rows."""
    for field in fields:
        if isinstance(field, (FieldList, FormField)):
            yield from _fields(field)
        else:
            yield field


def _text_fields(fields):
    """The text fields among these, including those of sub-forms and repeated rows."""
    for field in _fields(fields):
        if isinstance(field.data, str) and (isinstance(field, TextAreaField) or field.type in _TEXT_FIELDS):
            yield field


class OneChoiceField(RadioField):
    """A radio group that takes exactly one answer. A request naming it twice is refused: keeping the
    first value silently would record, say, a score the grader never chose."""

    def __init__(self, *args, twice: str = "Choose one answer only.", **kwargs):
        super().__init__(*args, **kwargs)
        self.twice = twice

    def process_formdata(self, valuelist) -> None:
        if len(valuelist) > 1:
            raise ValueError(self.twice)
        super().process_formdata(valuelist)

    def pre_validate(self, form) -> None:
        if not self.process_errors:  # one message: not also "Not a valid choice" for the empty answer
            super().pre_validate(form)


class Form(FlaskForm):
    """The base of every form: on top of each field's own checks, text holds no control characters,
    nothing invisible or direction-changing, and at least one visible character. One rule for every
    text field, one line or many (typed_text applies the same to text read without a Form)."""

    def process(self, *args, **kwargs) -> None:
        super().process(*args, **kwargs)
        # Before any validator runs, so Length counts what the browser's maxlength counted.
        for field in _text_fields(self):
            if isinstance(field, TextAreaField):
                field.data = normalise_line_breaks(field.data)

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        for field in self:
            for text_field in _text_fields([field]):
                problem = text_problem(text_field.data, multi_line=isinstance(text_field, TextAreaField))
                if problem:
                    text_field.errors = [*text_field.errors, problem]
                    valid = False
            for leaf in _fields([field]):
                # What was typed could not be read as the field's type ("Not a valid integer value."),
                # and the field's own check says what to enter ("Choose between 6 and 12 months."):
                # that one message is the clear one.
                if leaf.process_errors and len(leaf.errors) > len(leaf.process_errors):
                    leaf.errors = leaf.errors[len(leaf.process_errors) :]
            if isinstance(field, FieldList) and not field.errors and any(e.errors for e in field.entries):
                field.errors = [entry.errors for entry in field.entries]  # as FieldList.validate sets them
        return valid


class EmptyForm(Form):
    """A form with only the CSRF token, for POST buttons."""


_ZONES = None


def time_zones() -> list[str]:
    global _ZONES
    if _ZONES is None:
        _ZONES = sorted(z for z in available_timezones() if "/" in z and not z.startswith(("Etc/", "SystemV/"))) + [
            "UTC"
        ]
    return _ZONES


def valid_time_zone(form, field) -> None:
    if field.data not in time_zones():
        raise ValidationError("Choose a time zone from the list.")
