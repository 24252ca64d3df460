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
from .guards import MAX_BODY_BYTES, BearerAuth, RequestLimits, SecurityHeaders
from .service import CheckService

PACKAGE = "nlp.web"


@lru_cache(maxsize=1)
def index_html() -> str:
    return resources.files(PACKAGE).joinpath("templates/index.html").read_text("utf-8")


def create_app(checker: Checker | None = None, *, model: str | Path | None = None,
               rulepack: str | None = None, token: str | None = None,
               max_body: int = MAX_BODY_BYTES, warm_up: bool = True) -> FastAPI:
    """The workbench app. `checker`: an already loaded Checker (else one is loaded from
    `model`/`rulepack` at start-up); `token`: when set, every API request needs it as a bearer
    token (the page and its static assets stay public: they carry no data)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        service = CheckService(checker if checker is not None
                               else Checker(model=model, rulepack=rulepack))
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

    body_routes = frozenset((method, route.path) for route in router.routes
                            if isinstance(route, APIRoute) and route.body_field is not None
                            for method in route.methods)
    # added innermost first: SecurityHeaders wraps BearerAuth wraps RequestLimits
    app.add_middleware(RequestLimits, routes=body_routes, max_body=max_body)
    if token:
        app.add_middleware(BearerAuth, token=token)
    app.add_middleware(SecurityHeaders)
    return app
