"""The main menu, declared once: an item shows when its page's own access policy lets the person in.

Nothing here repeats who may open what: the route's `@policy.*` declaration decides, so a menu
can never offer a page that answers 403, nor hide one that a role may open.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_login import current_user

from portal.security import policy


@dataclass(frozen=True)
class MenuItem:
    endpoint: str
    label: str
    also: tuple[str, ...] = ()  # pages under this item, marked as the current section
    staff_only: bool = False
    candidates_only: bool = False


MENU = (
    MenuItem("staff.home", "Staff home", staff_only=True),
    MenuItem(
        "staff.positions",
        "Positions",
        (
            "staff.new_position",
            "staff.edit_position",
            "staff.close_position",
            "staff.pipeline",
            "staff.application",
            "staff.reject",
        ),
        staff_only=True,
    ),
    MenuItem(
        "scheduling.my_interviews",
        "My interviews",
        ("scheduling.availability", "feedback.kit", "feedback.scorecard"),
        staff_only=True,
    ),
    MenuItem("takehome.to_grade", "To grade", ("takehome.grade",), staff_only=True),
    MenuItem(
        "takehome.assignments",
        "Assignments",
        ("takehome.new_assignment", "takehome.edit_assignment"),
        staff_only=True,
    ),
    MenuItem("feedback.decisions", "Decisions", staff_only=True),
    MenuItem("accounts.invite_candidate", "Invite", staff_only=True),
    MenuItem("feedback.kits", "Interview kits", ("feedback.edit_kit",), staff_only=True),
    MenuItem("admin.staff", "Staff accounts", ("admin.new_staff", "admin.edit_staff"), staff_only=True),
    MenuItem("audit.log", "Audit log", staff_only=True),
    MenuItem(
        "candidate.positions",
        "Open positions",
        ("candidate.index", "candidate.position", "candidate.apply"),
        candidates_only=True,
    ),
    MenuItem("candidate.dashboard", "My applications", ("candidate.application",), candidates_only=True),
)


def main_menu(user=None) -> list[MenuItem]:
    user = user if user is not None else current_user._get_current_object()  # the proxy, resolved once
    staff = policy.is_staff(user)
    return [
        item
        for item in MENU
        if not (item.staff_only and not staff)
        and not (item.candidates_only and staff)
        and policy.may_open(user, item.endpoint)
    ]


def register(app) -> None:
    app.jinja_env.globals.update(main_menu=main_menu, may_open=policy.may_open)
