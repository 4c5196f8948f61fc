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


class OverQuota(StoreError):
    """An upload would take the site past its storage quota; nothing was stored."""

    def __init__(self, used: int, limit: int, size: int) -> None:
        needs = ", and this upload needs %s more" % megabytes(size) if size else ""
        super().__init__("Not enough storage left on this site: %s used of %s%s. Delete files from the "
                         "media library, or ask the platform's operators for more room."
                         % (megabytes(used), megabytes(limit), needs))
        self.used, self.limit, self.size = used, limit, size


def megabytes(n: int) -> str:
    """``1.5 MB``, ``1024 MB``, ``40 KB``: how storage is shown to people."""
    mb = n / (1024 * 1024)
    if 0 < mb < 0.1:
        return "%d KB" % -(-n // 1024)
    return "%d MB" % mb if mb == int(mb) or mb >= 100 else "%.1f MB" % mb
