"""The one error shape of the API, {"error": {"code", "message"}}, and its exception handlers.

Messages never carry note text: validation errors are reported by field and rule, never with
the offending input, and unexpected exceptions by type name only.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger("opcheck.web")

MAX_MESSAGE = 400
MAX_LISTED = 5

SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
        "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
        "frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}

STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid_request",
    500: "internal_error",
    503: "unavailable",
}


class ApiError(Exception):
    """An error the API answers with its stable JSON shape."""

    def __init__(self, status: int, code: str, message: str,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}


def one_line(message: object) -> str:
    s = " ".join(str(message).split())
    return s if len(s) <= MAX_MESSAGE else s[: MAX_MESSAGE - 3] + "..."


def error_response(status: int, code: str, message: str,
                   headers: dict[str, str] | None = None) -> JSONResponse:
    """The error JSON; carries the security headers itself, for the handlers that run outside
    the header middleware (unhandled exceptions)."""
    return JSONResponse({"error": {"code": code, "message": one_line(message)}},
                        status_code=status, headers={**SECURITY_HEADERS, **(headers or {})})


def validation_message(errors: list[dict]) -> tuple[str, str]:
    """(code, message) for a RequestValidationError, naming fields and rules, never inputs."""
    for e in errors:
        if e.get("type") == "json_invalid":
            loc = e.get("loc", ())
            where = f" at position {loc[1]}" if len(loc) > 1 else ""
            detail = (e.get("ctx") or {}).get("error", "not valid JSON")
            return "invalid_json", f"malformed JSON body: {detail}{where}"
    parts = []
    for e in errors[:MAX_LISTED]:
        loc = ".".join(str(p) for p in e.get("loc", ()) if p != "body") or "body"
        parts.append(f"{loc}: {e.get('msg', 'invalid')}")
    more = len(errors) - MAX_LISTED
    suffix = f" (+{more} more)" if more > 0 else ""
    return "invalid_request", "invalid request: " + "; ".join(parts) + suffix


async def _api_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return error_response(exc.status, exc.code, exc.message, exc.headers)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = STATUS_CODES.get(exc.status_code, f"http_{exc.status_code}")
    detail = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
    return error_response(exc.status_code, code, detail, dict(exc.headers or {}))


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    code, message = validation_message(list(exc.errors()))
    return error_response(422, code, message)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.error("unhandled %s on %s %s", type(exc).__name__, request.method, request.url.path)
    return error_response(500, "internal_error", "internal error")


def install_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(Exception, _unexpected)
