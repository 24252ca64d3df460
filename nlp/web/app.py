"""The FastAPI app factory: the Checker loaded once in the lifespan, API router, page, guards.

    uvicorn --factory nlp.web.app:create_app      # or: opcheck serve
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import lru_cache
from importlib import resources
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles

from .. import __version__
from ..check import Checker
from .api import router
from .errors import install_handlers
from .guards import (
    JSON_TYPES,
    MAX_BODY_BYTES,
    BearerAuth,
    BodyRule,
    RequestLimits,
    SecurityHeaders,
)
from .service import MAX_UPLOAD_BYTES, CheckService

PACKAGE = "nlp.web"


@lru_cache(maxsize=1)
def index_html() -> str:
    return resources.files(PACKAGE).joinpath("templates/index.html").read_text("utf-8")


def body_rules(max_body: int, max_upload: int) -> dict[tuple[str, str], BodyRule]:
    """The body each API route takes: JSON for a route with a body model, raw bytes of the
    media types its OpenAPI `requestBody` documents (a file upload) for the others."""
    rules = {}
    for route in router.routes:
        if not isinstance(route, APIRoute):
            continue
        raw_types = ((route.openapi_extra or {}).get("requestBody") or {}).get("content")
        if route.body_field is not None:
            rule = BodyRule(JSON_TYPES, max_body)
        elif raw_types:
            rule = BodyRule(frozenset(raw_types), max_upload, utf8=False)
        else:
            continue
        rules.update(((method, route.path), rule) for method in route.methods)
    return rules


def create_app(checker: Checker | None = None, *, model: str | Path | None = None,
               rulepack: str | None = None, token: str | None = None,
               max_body: int = MAX_BODY_BYTES, max_upload: int = MAX_UPLOAD_BYTES,
               warm_up: bool = True) -> FastAPI:
    """The workbench app. `checker`: an already loaded Checker (else one is loaded from
    `model`/`rulepack` at start-up); `token`: when set, every API request needs it as a bearer
    token (the page and its static assets stay public: they carry no data); `max_body`: the
    limit of a JSON body; `max_upload`: of a raw file sent to /api/v1/extract."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        service = CheckService(checker if checker is not None
                               else Checker(model=model, rulepack=rulepack),
                               max_upload=max_upload)
        if warm_up:
            service.warm_up()
        app.state.service = service
        try:
            yield
        finally:
            app.state.service = None
            service.close()

    app = FastAPI(
        title="opcheck CDI workbench",
        version=__version__,
        description="Pre-check an operative report for add-on CPT 27358 (SPEC-27358).",
        lifespan=lifespan,
        docs_url=None,  # Swagger UI and ReDoc load scripts from a CDN: not offered
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    app.state.service = None
    install_handlers(app)
    app.include_router(router)

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def page() -> HTMLResponse:
        return HTMLResponse(index_html())

    app.mount("/static", StaticFiles(packages=[(PACKAGE, "static")]), name="static")

    # added innermost first: SecurityHeaders wraps BearerAuth wraps RequestLimits
    app.add_middleware(RequestLimits, routes=body_rules(max_body, max_upload))
    if token:
        app.add_middleware(BearerAuth, token=token)
    app.add_middleware(SecurityHeaders)
    return app
