"""Errors the stores raise; their message is fit to show the user as is."""


class StoreError(ValueError):
    """Bad input or state; nothing was changed."""


class Invalid(StoreError):
    """The input breaks a rule (a bad name, a weak password...)."""


class WrongPassword(Invalid):
    """The password given to confirm who someone is was not theirs."""


class Duplicate(StoreError):
    """Something with that unique name already exists."""


class NotFound(StoreError):
    """No such thing (in this site)."""


class Conflict(StoreError):
    """Someone saved a newer version first; ``current`` is what is stored now."""

    def __init__(self, message: str, current: dict | None = None) -> None:
        super().__init__(message)
        self.current = current
