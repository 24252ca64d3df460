"""One Checker shared by every request, used from one dedicated worker thread.

A spaCy pipeline is not documented as thread-safe, so every `Checker.check` call runs in a
single-thread executor: requests queue for the one pipeline instead of racing on it, and the
event loop stays free to read bodies and answer health checks meanwhile. A bounded queue turns
overload into a quick 503 instead of unbounded memory.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from ..check import Checker, InputError
from ..schemas import CheckResult
from .errors import ApiError

log = logging.getLogger("opcheck.web")

MAX_PENDING = 64


class CheckService:
    def __init__(self, checker: Checker, max_pending: int = MAX_PENDING) -> None:
        self.checker = checker
        self.max_pending = max_pending
        self._pending = 0
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="opcheck-nlp")

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
