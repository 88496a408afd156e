"""Form pieces shared by every capability."""
from __future__ import annotations

from zoneinfo import available_timezones

from flask_wtf import FlaskForm
from wtforms.fields.choices import SelectChoice
from wtforms.validators import ValidationError


def choices(pairs) -> list[SelectChoice]:
    """Options for a select or checkbox group from (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]


class EmptyForm(FlaskForm):
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
