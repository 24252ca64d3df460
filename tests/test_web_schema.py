"""Schemathesis against /openapi.json on the ASGI app (positive and negative generation):
no request gets a 500, and every answer conforms to the documented status codes, content
types and response schemas.

/api/v1/extract is exempt from "schema-valid data is accepted": its body is any file, and
whether a file holds a readable report cannot be said in a schema (random bytes named
`x.pdf` are refused with 422 unreadable_file, as they should be)."""

from __future__ import annotations

import warnings

import pytest

schemathesis = pytest.importorskip("schemathesis")

from hypothesis import HealthCheck, settings  # noqa: E402

from nlp.check import Checker  # noqa: E402
from nlp.pipeline import build  # noqa: E402
from nlp.web import create_app  # noqa: E402

# Built at import, because schemathesis needs the schema to parametrise; its ASGI client runs
# the lifespan once, so this one Checker serves every generated call.
APP = create_app(Checker(nlp=build()))
with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    schema = schemathesis.openapi.from_asgi("/openapi.json", APP)
schema.config.generation.update(modes=list(schemathesis.GenerationMode), database="none")


@schema.parametrize()
@settings(max_examples=50, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
def test_api_conforms_and_never_500(case) -> None:
    exempt = [schemathesis.checks.positive_data_acceptance] \
        if case.operation.path == "/api/v1/extract" else []
    case.call_and_validate(excluded_checks=exempt)
