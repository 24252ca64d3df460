"""Pure-ASGI request guards: security headers, bearer token, body size and content type.

Pure ASGI (not BaseHTTPMiddleware) so that they cost microseconds and answer before FastAPI
parses anything. Order, outermost first: SecurityHeaders -> BearerAuth -> RequestLimits.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from dataclasses import dataclass

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .errors import SECURITY_HEADERS, error_response

MAX_BODY_BYTES = 2 * 1024 * 1024
JSON_TYPES = frozenset({"application/json"})


@dataclass(frozen=True)
class BodyRule:
    """What one route accepts as a body: its media types, its size limit, and whether the
    body must be UTF-8 (JSON) or is raw bytes (a file upload)."""

    types: frozenset[str]
    max_body: int
    utf8: bool = True

    def too_large(self) -> str:
        mb = self.max_body / (1024 * 1024)
        return f"request body is over the {mb:g} MB limit" if mb >= 1 and mb.is_integer() \
            else f"request body is over the {self.max_body} byte limit"

    def unsupported(self) -> str:
        return "Content-Type must be " + " or ".join(sorted(self.types))


class SecurityHeaders:
    """Adds Cache-Control: no-store, the CSP and the other security headers to every answer."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)


def is_public(path: str) -> bool:
    """The page and its assets carry no data; everything else needs the token."""
    return path == "/" or path.startswith("/static/")


class BearerAuth:
    """401 unless `Authorization: Bearer <token>` matches; constant-time comparison."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        if not token:
            raise ValueError("empty token")
        self.app = app
        self.token = token.encode("utf-8")

    def authorized(self, header: str | None) -> bool:
        scheme, _, credential = (header or "").partition(" ")
        supplied = credential.strip().encode("latin-1", "replace")
        # compare even for a wrong scheme, so both failures take the same time
        match = hmac.compare_digest(supplied, self.token)
        return match and scheme.lower() == "bearer"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not is_public(scope["path"]):
            if not self.authorized(Headers(scope=scope).get("authorization")):
                response = error_response(
                    401, "unauthorized", "missing or wrong bearer token",
                    {"WWW-Authenticate": 'Bearer realm="opcheck"'})
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


class RequestLimits:
    """For the routes that take a body: the route's media types only (415), at most its
    `max_body` bytes (413), UTF-8 for JSON routes (422). Other requests pass untouched (the
    router answers 404/405 without reading a body).

    Content-Length is checked first; the body is then read in full, counting the bytes as
    they stream (chunked uploads have no Content-Length), and replayed to the app.
    """

    def __init__(self, app: ASGIApp, routes: Mapping[tuple[str, str], BodyRule]) -> None:
        self.app = app
        self.routes = dict(routes)  # (method, path) -> rule

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        rule = self.routes.get((scope["method"], scope["path"])) \
            if scope["type"] == "http" else None
        if rule is None:
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        mime = headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if mime not in rule.types:
            await error_response(415, "unsupported_media_type", rule.unsupported())(
                scope, receive, send)
            return
        length = headers.get("content-length")
        if length is not None:
            if not length.strip().isdigit():
                await error_response(400, "bad_request", "invalid Content-Length")(
                    scope, receive, send)
                return
            if int(length) > rule.max_body:
                await error_response(413, "payload_too_large", rule.too_large())(
                    scope, receive, send)
                return
        body = bytearray()
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > rule.max_body:
                await error_response(413, "payload_too_large", rule.too_large())(
                    scope, receive, send)
                return
        if rule.utf8:
            try:
                bytes(body).decode("utf-8")
            except UnicodeDecodeError as exc:
                await error_response(422, "invalid_json", "malformed JSON body: not valid "
                                     f"UTF-8 at byte {exc.start}")(scope, receive, send)
                return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": bytes(body), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)
