"""Domain errors: raised by services, mapped to a status and a message by one handler."""


class DomainError(Exception):
    status = 409

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class InvalidInput(DomainError):
    """Something typed that cannot be kept as it is: the person changes it and sends it again."""

    status = 400


class NotAllowed(DomainError):
    status = 403


class TransitionNotAllowed(DomainError):
    """A process action refused; `refusal` says why in a structured way (portal.hiring.process.Refusal)."""

    def __init__(self, message: str, refusal=None):
        super().__init__(message)
        self.refusal = refusal


class CooldownActive(DomainError):
    def __init__(self, until):
        super().__init__(
            f"You were not selected for this position recently. You may apply again from {until:%d %B %Y}."
        )
        self.until = until


class AlreadyApplied(DomainError):
    def __init__(self, message: str, application_id: int | None = None):
        super().__init__(message)
        self.application_id = application_id  # the application in progress, when there is one


class PositionNotOpen(DomainError):
    pass
