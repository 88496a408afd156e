"""Form pieces shared by every capability."""
from __future__ import annotations

import re
from zoneinfo import available_timezones

from flask_wtf import FlaskForm
from wtforms.fields.choices import SelectChoice
from wtforms.validators import ValidationError


def choices(pairs) -> list[SelectChoice]:
    """Options for a select or checkbox group from (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]


# Characters no person types: NUL is refused by PostgreSQL outright, and the others hide text or
# break mail headers. Line breaks are allowed only where the field is a multi-line text area.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_LINE_BREAK = re.compile(r"[\r\n]")
_TEXT_FIELDS = {"StringField", "EmailField", "URLField", "SearchField", "TelField"}


def strip_control_characters(value: str) -> str:
    return _LINE_BREAK.sub(" ", _CONTROL.sub("", value))


class Form(FlaskForm):
    """The base of every form: on top of each field's own checks, text holds no control characters."""

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        for field in self:
            if not isinstance(field.data, str):
                continue
            multi_line = field.type == "TextAreaField"
            if field.type not in _TEXT_FIELDS and not multi_line:
                continue
            if _CONTROL.search(field.data) or (not multi_line and _LINE_BREAK.search(field.data)):
                field.errors = [*field.errors, "Remove the invisible control characters (or line breaks) from this field."]
                valid = False
        return valid


class EmptyForm(Form):
    """A form with only the CSRF token, for POST buttons."""


_ZONES = None


def time_zones() -> list[str]:
    global _ZONES
    if _ZONES is None:
        _ZONES = sorted(z for z in available_timezones() if "/" in z and not z.startswith(("Etc/", "SystemV/"))) + ["UTC"]
    return _ZONES


def valid_time_zone(form, field) -> None:
    if field.data not in time_zones():
        raise ValidationError("Choose a time zone from the list.")
