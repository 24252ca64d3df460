"""One Checker shared by every request, used from one dedicated worker thread.

A spaCy pipeline is not documented as thread-safe, so every `Checker.check` call runs in a
single-thread executor: requests queue for the one pipeline instead of racing on it, and the
event loop stays free to read bodies and answer health checks meanwhile. A bounded queue turns
overload into a quick 503 instead of unbounded memory.

Uploaded files are read (`nlp.readers.read_bytes`, pure functions of the bytes) in a small
pool of their own, so a slow PDF never holds up a check; its queue is bounded the same way.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from pathlib import PurePosixPath
from typing import Any

from ..check import Checker, InputError
from ..readers import MAX_RAW_BYTES, Document, ReaderError, read_bytes, supported_suffixes
from ..schemas import CheckResult
from .errors import ApiError

log = logging.getLogger("opcheck.web")

MAX_PENDING = 64
MAX_UPLOAD_BYTES = MAX_RAW_BYTES  # an uploaded file: the readers' raw-file limit
READ_WORKERS = 2
MAX_PENDING_READS = 8


class CheckService:
    def __init__(self, checker: Checker, max_pending: int = MAX_PENDING,
                 max_upload: int = MAX_UPLOAD_BYTES) -> None:
        self.checker = checker
        self.max_pending = max_pending
        self.max_upload = max_upload
        self._pending = 0
        self._pending_reads = 0
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="opcheck-nlp")
        self._readers = ThreadPoolExecutor(max_workers=READ_WORKERS,
                                           thread_name_prefix="opcheck-read")

    def _check(self, text: str, primary: str | None) -> CheckResult:
        limit = getattr(self.checker.nlp, "max_length", None)
        if limit and len(text) > limit:  # spaCy would raise a ValueError (E088)
            raise InputError(f"report text is over the pipeline's {limit:,} character limit")
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise InputError("report text is not valid Unicode (lone surrogates)") from None
        return self.checker.check(text, primary)

    async def check(self, text: str, primary: str | None) -> CheckResult:
        if self._pending >= self.max_pending:
            raise ApiError(503, "unavailable", "the checker is busy; retry shortly",
                           {"Retry-After": "1"})
        self._pending += 1
        try:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(self._pool, self._check, text, primary)
        except InputError as exc:
            raise ApiError(422, "bad_input", str(exc)) from None
        except Exception as exc:  # noqa: BLE001 - log the type only: a message may quote the note
            log.error("check failed: %s", type(exc).__name__)
            raise ApiError(500, "internal_error", "internal error while checking") from None
        finally:
            self._pending -= 1

    def _read(self, name: str, raw: bytes) -> tuple[list[Document], list[ReaderError]]:
        items = list(read_bytes(name, raw, self.max_upload, yield_errors=True))
        return ([i for i in items if isinstance(i, Document)],
                [i for i in items if isinstance(i, ReaderError)])

    async def extract(self, filename: str, raw: bytes
                      ) -> tuple[list[Document], list[ReaderError]]:
        """The reports in an uploaded file, and the errors of its unreadable parts."""
        name = upload_name(filename)
        suffix = PurePosixPath(name).suffix.lower()
        if suffix not in supported_suffixes():
            raise ApiError(422, "unsupported_file_type",
                           f"unsupported file type {suffix or '(none)'!r}; supported: "
                           + ", ".join(supported_suffixes()))
        if self._pending_reads >= MAX_PENDING_READS:
            raise ApiError(503, "unavailable", "the file reader is busy; retry shortly",
                           {"Retry-After": "1"})
        self._pending_reads += 1
        try:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(self._readers, self._read, name, raw)
        except ReaderError as exc:
            raise ApiError(422, "unreadable_file", str(exc)) from None
        except Exception as exc:  # noqa: BLE001 - log the type only
            log.error("reading an upload failed: %s", type(exc).__name__)
            raise ApiError(500, "internal_error", "internal error while reading the file") \
                from None
        finally:
            self._pending_reads -= 1

    def warm_up(self) -> None:
        """One tiny check, so the first real request does not pay for lazy initialisation."""
        self._pool.submit(self.checker.check, "Left femur: one plate.").result()

    def versions(self) -> dict[str, Any]:
        import spacy

        from .. import __version__

        meta = self.checker.nlp.meta
        rules = self.checker.rules
        return {
            "opcheck": __version__,
            "pipeline": {"name": str(meta.get("name", "")),
                         "version": str(meta.get("version", "")),
                         "spacy": spacy.__version__},
            "rulepack": {"name": rules.name, "version": rules.version,
                         "addon_code": rules.addon_code,
                         "query_preamble": rules.query_preamble},
        }

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._readers.shutdown(wait=True, cancel_futures=True)


def upload_name(filename: str) -> str:
    """An uploaded file's own name: no directories (either separator), no control characters;
    it only picks the reader and names the file in messages."""
    name = filename.replace("\\", "/").rsplit("/", 1)[-1]
    return "".join(ch for ch in name if ch.isprintable()).strip() or "upload"
