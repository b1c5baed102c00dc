"""API errors: ``ApiError`` and the handlers that turn every failure into ``{code, message}``."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger("convos.api")

_CODES_BY_STATUS = {
    400: "invalid",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    422: "invalid",
    429: "too_many_attempts",
}
# Location prefixes FastAPI puts before the name of the field to blame.
_LOCATION_KINDS = {"body", "query", "path", "header", "cookie", "form"}


class ApiError(Exception):
    """An error the API reports as ``{"code": code, "message": message, **extra}``."""

    def __init__(self, status: int, code: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.extra = extra
        self.headers: dict[str, str] | None = None  # extra response headers (Retry-After)

    def body(self) -> dict[str, Any]:
        """The JSON body of the response."""
        return {"code": self.code, "message": self.message, **self.extra}


def not_found(what: str = "object") -> ApiError:
    """A 404 for an object that does not exist or is not visible to the caller."""
    return ApiError(404, "not_found", f"No such {what}")


def forbidden(message: str = "Not allowed") -> ApiError:
    """A 403 for an action the caller may not perform."""
    return ApiError(403, "forbidden", message)


def invalid(message: str, field: str | None = None) -> ApiError:
    """A 422 for bad input, naming the field to blame when there is one."""
    extra = {"field": field} if field is not None else {}
    return ApiError(422, "invalid", message, **extra)


def _field_name(location: tuple[Any, ...] | list[Any]) -> str | None:
    parts = [str(part) for part in location]
    if parts and parts[0] in _LOCATION_KINDS:
        parts = parts[1:]
    return ".".join(parts) or None


async def _api_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return JSONResponse(exc.body(), status_code=exc.status, headers=exc.headers)


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    first = errors[0] if errors else {}
    field = _field_name(first.get("loc", ()))
    message = str(first.get("msg", "Invalid request"))
    body: dict[str, Any] = {"code": "invalid", "message": message}
    if field is not None:
        body["field"] = field
        body["message"] = f"{field}: {message}"
    return JSONResponse(body, status_code=422)


async def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = _CODES_BY_STATUS.get(exc.status_code, "error")
    message = "No such route" if exc.status_code == 404 else str(exc.detail)
    return JSONResponse(
        {"code": code, "message": message}, status_code=exc.status_code, headers=exc.headers
    )


def install_error_handlers(app: FastAPI) -> None:
    """Make every error response of ``app`` follow the protocol's error shape."""
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
