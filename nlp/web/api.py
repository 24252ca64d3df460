"""The JSON API, /api/v1: check a report, read a report file, health, versions. The page uses
the same routes."""

from __future__ import annotations

import re
from typing import Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from ..check import MAX_TEXT_CHARS
from ..cli.check import result_json
from ..readers import supported_suffixes
from ..schemas import CheckResult
from .errors import ApiError, one_line
from .service import CheckService

ERROR_EXAMPLE = {"error": {"code": "invalid_request", "message": "invalid request: ..."}}


class ErrorDetail(BaseModel):
    code: str = Field(description="stable, machine-readable error code")
    message: str = Field(description="one line for people; never contains note text")


class ErrorBody(BaseModel):
    error: ErrorDetail


# What validate_text / validate_primary accept, documented in the OpenAPI schema (they enforce
# it, with clearer messages than a regex failure would give).
TEXT_PATTERN = r"^[^\u0000]*[^\s\u0000][^\u0000]*$"
PRIMARY_PATTERN = r"^\s*([0-9]{5}|[Nn][Oo][Nn][Ee]|[Nn][Uu][Ll][Ll])?\s*$"


class CheckRequest(BaseModel):
    """One operative report and, optionally, the primary code claimed with 27358."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(
        max_length=MAX_TEXT_CHARS, json_schema_extra={"pattern": TEXT_PATTERN},
        description="the operative report text (not blank, no NUL; the whole request body "
                    "must stay under 2 MB)")
    primary: str | None = Field(
        default=None, max_length=64, json_schema_extra={"pattern": PRIMARY_PATTERN},
        description="claimed primary CPT code, 5 digits (27355, 27356 or 27357 qualify); "
                    "null, absent, empty or \"none\": no claimed code",
        examples=["27356"])


def _drop_id(schema: dict) -> None:
    schema.get("properties", {}).pop("id", None)


class CheckOutput(CheckResult):
    """A check result as the API (and `opcheck check --format json`) returns it: no "id"."""

    model_config = ConfigDict(json_schema_extra=_drop_id)


UPLOAD_TYPES = ("application/octet-stream",)
FILENAME_MAX = 255


def suffix_pattern() -> str:
    """A file name ending in a suffix of the reader registry, any case (documented; the
    route enforces it with its own error code)."""
    alternatives = ("".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else re.escape(c)
                            for c in suffix.lstrip(".")) for suffix in supported_suffixes())
    return r"\.(" + "|".join(alternatives) + ")$"


class ExtractedDocument(BaseModel):
    id: str = Field(description="the report's id: from the message or entry (HL7, FHIR), "
                                "else the file name without its suffix")
    text: str = Field(description="the report text, ready for /api/v1/check")


class PartError(BaseModel):
    part: str | None = Field(description="the message or bundle entry that failed")
    message: str = Field(description="one line for people; never contains note text")


class ExtractResult(BaseModel):
    documents: list[ExtractedDocument] = Field(
        description="every readable report in the file, in file order (several for an HL7 "
                    "file or a FHIR Bundle)")
    errors: list[PartError] = Field(
        description="the parts of a multi-report file that could not be read (the others "
                    "are in `documents`); empty for a fully readable file")


class Health(BaseModel):
    status: Literal["ok"] = "ok"


class PipelineInfo(BaseModel):
    name: str
    version: str
    spacy: str


class RulePackInfo(BaseModel):
    name: str
    version: str
    addon_code: str
    query_preamble: str


class VersionInfo(BaseModel):
    opcheck: str = Field(description="package version")
    pipeline: PipelineInfo
    rulepack: RulePackInfo


def _errors(*codes: int) -> dict:
    return {c: {"model": ErrorBody, "content": {"application/json": {"example": ERROR_EXAMPLE}}}
            for c in codes}


router = APIRouter(prefix="/api/v1", responses=_errors(401))


def service_of(request: Request) -> CheckService:
    service = getattr(request.app.state, "service", None)
    if service is None:
        raise ApiError(503, "unavailable", "the checker is not loaded yet")
    return service


@router.post(
    "/check", response_model=CheckOutput, summary="Check one operative report",
    responses=_errors(400, 413, 415, 422, 503),
    description="The SPEC-27358 output contract (as `opcheck check --format json`).",
)
async def check(body: CheckRequest, request: Request) -> Response:
    result = await service_of(request).check(body.text, body.primary)
    # byte for byte the CLI's `opcheck check --format json` (one serialiser for both)
    return Response(result_json(result), media_type="application/json")


@router.post(
    "/extract", response_model=ExtractResult, summary="Read the report text out of a file",
    responses=_errors(400, 413, 415, 422, 503),
    description="The raw file is the request body (`Content-Type: application/octet-stream`); "
                "the suffix of `filename` picks the reader ("
                + ", ".join(supported_suffixes()) + "). A file the readers cannot use gives "
                "422 `unreadable_file` (an unknown suffix: `unsupported_file_type`), a body "
                "over the raw-file limit 413. Nothing is written to disk.",
    openapi_extra={"requestBody": {"required": True, "content": {
        t: {"schema": {"type": "string", "format": "binary"}} for t in UPLOAD_TYPES}}},
)
async def extract(request: Request, filename: str = Query(
        min_length=1, max_length=FILENAME_MAX, json_schema_extra={"pattern": suffix_pattern()},
        description="the file's name; its suffix picks the reader",
        examples=["report.docx"])) -> ExtractResult:
    service = service_of(request)
    raw = await request.body()  # already read, within the size limit, by RequestLimits
    documents, errors = await service.extract(filename, raw)
    return ExtractResult(
        documents=[ExtractedDocument(id=d.id, text=d.text) for d in documents],
        errors=[PartError(part=e.part, message=one_line(e)) for e in errors])


@router.get("/health", response_model=Health, summary="Liveness: the checker is loaded")
async def health(request: Request) -> Health:
    service_of(request)
    return Health()


@router.get("/version", response_model=VersionInfo, summary="Package, pipeline, rule pack")
async def version(request: Request) -> VersionInfo:
    return VersionInfo.model_validate(service_of(request).versions())
