"""The CDI workbench: a local web page and a JSON API over the one `Checker`.

`create_app()` builds the FastAPI app (`nlp.web.app`); the API routes live in `nlp.web.api`,
the request guards (token, size, content type, security headers) in `nlp.web.guards`, and the
page is static HTML, JS and CSS shipped as package data (`templates/`, `static/`).
"""

from __future__ import annotations

from .app import create_app

__all__ = ["create_app"]
