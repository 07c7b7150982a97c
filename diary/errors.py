"""Business-rule failures, each mapped to an HTTP status in exactly one place (api/errors)."""

from __future__ import annotations


class DomainError(Exception):
    """A request the record refuses; ``field`` names the offending input when there is one."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        if code:
            self.code = code


class Unauthorized(DomainError):
    status, code = 401, "unauthorized"


class Forbidden(DomainError):
    status, code = 403, "forbidden"


class NotFound(DomainError):
    status, code = 404, "not_found"


class Conflict(DomainError):
    status, code = 409, "conflict"


class RuleViolation(DomainError):
    """Well-formed input that breaks a protocol or diary rule (late entry, future date...)."""

    status, code = 422, "rule_violation"


class RefusedInput(RuleViolation):
    """Input a pure rule refused, with per-field messages (and e.g. drug suggestions)."""

    def __init__(self, message: str, *, field: str, errors: dict, code: str | None = None):
        super().__init__(message, field=field, code=code)
        self.errors = errors


class TooManyAttempts(DomainError):
    """Throttled: ``retry_after`` seconds become the ``Retry-After`` header (RFC 9110)."""

    status, code = 429, "too_many_attempts"

    def __init__(self, message: str, *, retry_after: int | None = None, **kwargs):
        super().__init__(message, **kwargs)
        self.retry_after = retry_after
