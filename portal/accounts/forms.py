"""Account forms: every field validated on the server, errors shown next to the field."""

from __future__ import annotations

from flask_login import current_user
from wtforms import BooleanField, EmailField, PasswordField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from portal.accounts.models import Role, email_problem, normalise_email
from portal.accounts.services import password_problem
from portal.forms import Form, choices, time_zones, valid_time_zone


def stripped(value):
    """Surrounding spaces (a pasted address, an autocompleted name) are not part of what was meant."""
    return value.strip() if isinstance(value, str) else value


def new_account_email(form, field) -> None:
    """An address that can be given to a new account (see email_problem)."""
    problem = email_problem(normalise_email(field.data or ""))
    if problem and not field.errors:
        raise ValidationError(problem)


def strong_password(form, field) -> None:
    """Long enough and hard to guess, also for someone who knows whose account it is: the form's
    email and name fields, else the account the form belongs to (`form.account`) or is signed in."""
    account = getattr(form, "account", None)
    if account is None and current_user and current_user.is_authenticated:
        account = current_user
    email = form.email.data if hasattr(form, "email") else getattr(account, "email", "")
    name = form.name.data if hasattr(form, "name") else getattr(account, "name", "")
    problem = password_problem(field.data or "", email or "", name or "")
    if problem:
        raise ValidationError(problem)


PASSWORD_HINT = "At least 10 characters and hard to guess: a few unrelated words work well."
NEW_EMAIL = [DataRequired(), Email(), Length(max=254), new_account_email]


class SignUpForm(Form):
    name = StringField(
        "Full name",
        filters=[stripped],
        validators=[DataRequired(), Length(max=120)],
        render_kw={"autocomplete": "name"},
    )
    email = EmailField("Email", filters=[stripped], validators=NEW_EMAIL, render_kw={"autocomplete": "email"})
    password = PasswordField(
        "Password",
        validators=[DataRequired(), strong_password],
        description=PASSWORD_HINT,
        render_kw={"autocomplete": "new-password"},
    )
    timezone = SelectField("Time zone", default="UTC", validators=[valid_time_zone])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.timezone.choices = choices((zone, zone) for zone in time_zones())


class LoginForm(Form):
    email = EmailField(
        "Email", filters=[stripped], validators=[DataRequired(), Email()], render_kw={"autocomplete": "username"}
    )
    password = PasswordField("Password", validators=[DataRequired()], render_kw={"autocomplete": "current-password"})
    remember = BooleanField("Keep me signed in on this device")


class ResetRequestForm(Form):
    email = EmailField(
        "Email", filters=[stripped], validators=[DataRequired(), Email()], render_kw={"autocomplete": "email"}
    )


class NewPasswordForm(Form):
    password = PasswordField(
        "New password",
        validators=[DataRequired(), strong_password],
        description=PASSWORD_HINT,
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        "Repeat the new password",
        validators=[DataRequired(), EqualTo("password", "The two passwords differ.")],
        render_kw={"autocomplete": "new-password"},
    )


class ConfirmWithPasswordForm(Form):
    password = PasswordField(
        "Your password", validators=[DataRequired()], render_kw={"autocomplete": "current-password"}
    )


class ChangePasswordForm(NewPasswordForm):
    current = PasswordField(
        "Current password", validators=[DataRequired()], render_kw={"autocomplete": "current-password"}
    )


class InviteCandidateForm(Form):
    name = StringField("Candidate's name", filters=[stripped], validators=[DataRequired(), Length(max=120)])
    email = EmailField("Candidate's email", filters=[stripped], validators=NEW_EMAIL)
    position_id = SelectField("Position (optional)", coerce=int, default=0)


class OptionalCheckbox(CheckboxInput):
    """One box of a group: "required" on every box would make a browser demand all of them ticked."""

    def __call__(self, field, **kwargs):
        kwargs.setdefault("required", False)
        return super().__call__(field, **kwargs)


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = OptionalCheckbox()


ROLE_CHOICES = choices((r.value, r.label) for r in Role)


class StaffForm(Form):
    name = StringField("Name", filters=[stripped], validators=[DataRequired(), Length(max=120)])
    email = EmailField("Email", filters=[stripped], validators=NEW_EMAIL)
    roles = MultiCheckboxField("Roles", choices=ROLE_CHOICES, validators=[DataRequired("Choose at least one role.")])


class StaffEditForm(Form):
    name = StringField("Name", filters=[stripped], validators=[DataRequired(), Length(max=120)])
    roles = MultiCheckboxField("Roles", choices=ROLE_CHOICES, validators=[DataRequired("Choose at least one role.")])
    active = BooleanField("Account active")


class ProfileForm(Form):
    name = StringField(
        "Full name",
        validators=[DataRequired(), Length(max=120)],
        filters=[stripped],
        render_kw={"autocomplete": "name"},
    )
    timezone = SelectField(
        "Time zone", validators=[valid_time_zone], description="Dates and times on every page are shown in this zone."
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.timezone.choices = choices((zone, zone) for zone in time_zones())
