"""Domain errors raised by services; one handler turns them into an envelope or an HTML page."""


class DomainError(Exception):
    status = 400
    code = "BAD_REQUEST"

    def __init__(self, message, details=None, *, code=None, headers=None):
        super().__init__(message)
        self.message = message
        self.details = details or {}
        self.headers = headers or {}
        if code:
            self.code = code


class BadRequest(DomainError):
    status, code = 400, "BAD_REQUEST"


class Unauthorized(DomainError):
    status, code = 401, "UNAUTHORIZED"


class PermissionDenied(DomainError):
    status, code = 403, "FORBIDDEN"


class NotFound(DomainError):
    status, code = 404, "NOT_FOUND"


class Conflict(DomainError):
    status, code = 409, "CONFLICT"


class ValidationFailed(DomainError):
    status, code = 422, "VALIDATION_ERROR"


class TooManyRequests(DomainError):
    status, code = 429, "RATE_LIMITED"


class ServiceUnavailable(DomainError):
    status, code = 503, "SERVICE_UNAVAILABLE"
