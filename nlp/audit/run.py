"""`audit()`: ingest the archives, skip what the store already has, check the rest in
parallel and write each batch of results as soon as it arrives.

The unit of work is `check_batch(batch, model, rulepack)`: a list of (id, text, primary) in,
a list of small dicts out (never spaCy Docs). The same function runs in-process
(`workers=0`), on a local process pool whose workers load the pipeline once (initializer), or
on a Dask distributed cluster (`scheduler="tcp://host:port"`), where a module-level cache loads
the pipeline once per worker process.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from .ingest import INTERNAL, Item, billed_primary, classify, iter_inputs, load_claims
from .store import Store, now

if TYPE_CHECKING:
    from ..check import Checker
    from ..schemas import CheckResult

Task = tuple[str, str, "str | None"]  # (report id, text, primary checked with)

BATCH_SIZE = 16
EXCERPT_CONTEXT = 70
MAX_EXCERPTS = 3
MAX_EXCERPT_CHARS = 240

# Actions: what an auditor does about a report.
UNSUPPORTED_CLAIM = "unsupported_claim"  # add-on billed, documentation does not support it
QUERY = "query"                          # documentation incomplete: query the surgeon
MISSED_REVENUE = "missed_revenue"        # supportable, but the add-on was not billed


# ---------------------------------------------------------------------------------------------
# Worker side


_CHECKERS: dict[tuple[str | None, str | None], Checker] = {}


def get_checker(model: str | None = None, rulepack: str | None = None) -> Checker:
    """The pipeline for (model, rulepack), loaded once per process."""
    key = (model, rulepack)
    if key not in _CHECKERS:
        from ..check import Checker

        _CHECKERS[key] = Checker(model=model, rulepack=rulepack)
    return _CHECKERS[key]


def init_worker(model: str | None, rulepack: str | None) -> None:
    """Process-pool initializer: Ctrl-C is the parent's business; load the pipeline now."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")  # one process per core: no nested thread pools
    get_checker(model, rulepack)


def check_batch(batch: Sequence[Task], model: str | None = None,
                rulepack: str | None = None) -> list[dict[str, Any]]:
    """Check a batch; a report that fails is a failed row, never a failed batch."""
    from ..check import InputError

    checker = get_checker(model, rulepack)
    try:
        results: list[CheckResult] | None = list(
            checker.check_many(((text, primary) for _, text, primary in batch), batch_size=64))
    except Exception:  # noqa: BLE001 - redo one by one, so the failure stays with its report
        results = None
    out = []
    for k, (rid, text, primary) in enumerate(batch):
        try:
            result = results[k] if results is not None else checker.check(text, primary)
            out.append(summarise(rid, result, text))
        except InputError as exc:
            out.append({"id": rid, "status": "failed", "error": str(exc),
                        "error_kind": classify(str(exc))})
        except Exception as exc:  # noqa: BLE001
            out.append({"id": rid, "status": "failed", "error_kind": INTERNAL,
                        "error": f"internal error ({type(exc).__name__}): {exc}"})
    return out


def summarise(rid: str, result: CheckResult, text: str) -> dict[str, Any]:
    """The store columns of one result, with the evidence excerpts cut from the text."""
    data = json.loads(result.model_dump_json(exclude={"id"}))
    return {
        "id": rid,
        "status": "processed",
        "verdict": data["verdict"],
        "reasons": " ".join(r["code"] for r in data["reasons"]),
        "primary_procedure": data.get("primary_procedure"),
        "suggested_primary": data.get("suggested_primary"),
        "confidence": data.get("confidence"),
        "result": json.dumps(data, separators=(",", ":")),
        "excerpts": json.dumps(excerpts(data, text), ensure_ascii=False),
    }


def excerpts(data: dict[str, Any], text: str) -> list[dict[str, Any]]:
    """Short evidence excerpts: one per reason with evidence, else the applied devices'.

    Each is {"code", "text", "start", "end"}: start/end mark the evidence inside `text`.
    """
    picks: dict[tuple[int, int], str] = {}  # one excerpt per span, naming every reason
    for reason in data.get("reasons", []):
        if reason.get("evidence"):
            span = tuple(min(reason["evidence"]))
            picks[span] = f"{picks[span]}, {reason['code']}" if span in picks else reason["code"]
    if not picks:
        for device in data.get("devices", []):
            if device.get("status") == "applied" and device.get("evidence"):
                picks.setdefault(tuple(min(device["evidence"])), device["type"])
    out = []
    for (start, end), code in list(picks.items())[:MAX_EXCERPTS]:
        if not (0 <= start < end <= len(text)):
            continue
        end = min(end, start + MAX_EXCERPT_CHARS - 2 * EXCERPT_CONTEXT)
        lo = max(0, start - EXCERPT_CONTEXT)
        hi = min(len(text), end + EXCERPT_CONTEXT)
        before = " ".join(text[lo:start].split())
        match = " ".join(text[start:end].split())
        after = " ".join(text[end:hi].split())
        if lo > 0:
            before = "…" + before.split(" ", 1)[-1] if " " in before else "…" + before
        if hi < len(text):
            after = after.rsplit(" ", 1)[0] + "…" if " " in after else after + "…"
        pre = before + (" " if text[lo:start][-1:].isspace() and before else "")
        post = (" " if text[end:hi][:1].isspace() and after else "") + after
        out.append({"code": code, "text": pre + match + post,
                    "start": len(pre), "end": len(pre) + len(match)})
    return out


# ---------------------------------------------------------------------------------------------
# Versions


def _digest(paths: Iterable[Path], h: Any) -> None:
    for p in sorted(paths):
        if p.is_file():
            h.update(str(p.name).encode())
            h.update(p.read_bytes())


_NOT_IN_VERSION = {"io.py", "render.py", "evaluate.py"}


def pipeline_version(model: str | Path | None = None) -> str:
    """opcheck version + a digest of the code, rules and saved pipeline that make a result.

    Computed without loading spaCy; any change to them makes a rerun check every report again.
    """
    from .. import __version__

    pkg = Path(__file__).resolve().parent.parent
    h = hashlib.sha256()
    # every module a result depends on; not the ones that only read input or print output
    # (a changed input shows in the content hash)
    _digest((p for p in pkg.glob("*.py") if p.name not in _NOT_IN_VERSION), h)
    _digest(pkg.glob("*.cfg"), h)
    _digest((pkg / "components").glob("*.py"), h)
    _digest((pkg / "rules").glob("*"), h)
    # The default saved pipeline (nlp.pipeline.DEFAULT_MODEL_DIR, not imported: it loads spaCy).
    model_dir = Path(model) if model is not None else pkg.parent / "models" / "opcheck-27358"
    if model_dir.is_dir():
        _digest((p for p in model_dir.rglob("*") if p.is_file()), h)
    return f"opcheck {__version__}+{h.hexdigest()[:12]}"


def rulepack_version(rulepack: str | None = None) -> str:
    from ..resources import load_rulepack

    rules = load_rulepack(rulepack)
    version = f"{rules.name} {rules.version}"
    if rulepack is not None:
        version += "+" + hashlib.sha256(Path(rulepack).read_bytes()).hexdigest()[:8]
    return version


# ---------------------------------------------------------------------------------------------
# Progress


class Progress:
    """A rich progress bar (count, rate, ETA) on a terminal; plain log lines otherwise."""

    def __init__(self, total: int, stream: IO[str] | None = None, interval: float = 5.0,
                 tty: bool | None = None) -> None:
        self.total = total
        self.done = 0
        self.stream = stream if stream is not None else sys.stderr
        self.interval = interval
        self.start = time.monotonic()
        self.last = self.start
        self._bar = None
        if total and (tty if tty is not None else _isatty(self.stream)):
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                TaskProgressColumn,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )
            from rich.progress import Progress as Bar

            self._bar = Bar(TextColumn("checking"), BarColumn(), MofNCompleteColumn(),
                            TaskProgressColumn(), TextColumn("{task.fields[rate]}"),
                            TextColumn("ETA"), TimeRemainingColumn(), TextColumn("elapsed"),
                            TimeElapsedColumn(),
                            console=Console(file=self.stream), transient=False)
            self._task = self._bar.add_task("audit", total=total, rate="")
            self._bar.start()

    def advance(self, n: int) -> None:
        self.done += n
        t = time.monotonic()
        rate = self.done / max(t - self.start, 1e-9)
        if self._bar is not None:
            self._bar.update(self._task, advance=n, rate=f"{rate:,.1f} reports/s")
        elif t - self.last >= self.interval or self.done == self.total:
            self.last = t
            eta = (self.total - self.done) / rate if rate else 0.0
            pct = 100.0 * self.done / self.total if self.total else 100.0
            print(f"audit: {self.done}/{self.total} checked ({pct:.0f}%), {rate:,.1f} reports/s, "
                  f"ETA {_hms(eta)}", file=self.stream, flush=True)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()


def _isatty(stream: IO[str]) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _hms(seconds: float) -> str:
    s = int(round(seconds))
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"


# ---------------------------------------------------------------------------------------------
# The audit


@dataclass
class AuditSummary:
    inputs: int = 0
    processed: int = 0
    skipped: int = 0
    failed: int = 0
    not_done: int = 0
    interrupted: bool = False
    billed_addon: int = 0
    unsupported_claims: int = 0
    queries: int = 0
    missed_revenue: int = 0
    claims_known: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)  # (place, reason)
    seconds: float = 0.0

    def line(self) -> str:
        s = (f"audit: {self.inputs} inputs: {self.processed} processed, {self.skipped} skipped "
             f"(unchanged), {self.failed} failed")
        if self.not_done:
            s += f", {self.not_done} not done (interrupted: rerun to resume)"
        return s

    def findings_line(self) -> str:
        if not self.claims_known:
            return f"in the store: no claims given (--claims); {self.queries} to query"
        return (f"in the store: {self.billed_addon} report(s) with 27358 billed; "
                f"{self.unsupported_claims} unsupported claim(s), {self.queries} to query, "
                f"{self.missed_revenue} missed revenue")


def claim_fields(verdict: str | None, billed: list[str] | None, addon: str = "27358"
                 ) -> dict[str, Any]:
    """Claim columns and the action for a verdict and the billed codes (None: no claims)."""
    action = QUERY if verdict == "query" else None
    if billed is None:
        return {"billed_codes": None, "billed_addon": None, "billed_primary": None,
                "action": action}
    has = addon in billed
    if has and verdict == "not_supported":
        action = UNSUPPORTED_CLAIM
    elif not has and verdict == "supported":
        action = MISSED_REVENUE
    return {"billed_codes": " ".join(billed), "billed_addon": int(has),
            "billed_primary": billed_primary(billed, addon) if has else None, "action": action}


def _inputs_key(primary: str | None, billed: list[str] | None, meta: dict[str, str]) -> str:
    blob = json.dumps([primary, billed, meta], sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def audit(archives: Sequence[str | Path], out: str | Path, claims: str | Path | None = None,
          workers: int | None = None, scheduler: str | None = None,
          text_column: str = "text", id_column: str = "id", model: str | None = None,
          rulepack: str | None = None, batch_size: int = BATCH_SIZE,
          progress: bool | None = None, log: IO[str] | None = None,
          on_failure: Callable[[str, str], None] | None = None) -> AuditSummary:
    """Audit the archives into the store at `out`; returns the counts of this run.

    workers: local processes (None: all cores; 0: in this process). scheduler: a Dask
    scheduler address, or a `distributed.Client`, instead of local processes.
    progress: None = a bar on a terminal, log lines otherwise; False = silent.
    """
    from ..resources import load_rulepack

    t0 = time.monotonic()
    # absolute, so that workers (spawned, or on a cluster sharing the path) find them
    model = str(Path(model).resolve()) if model is not None else None
    rulepack = str(Path(rulepack).resolve()) if rulepack is not None else None
    rules = load_rulepack(rulepack)
    addon = rules.addon_code
    pv, rv = pipeline_version(model), rulepack_version(rulepack)
    claim_map = load_claims(claims) if claims is not None else None
    summary = AuditSummary()

    store = Store(out)
    try:
        priors = store.priors()
        run_id = store.start_run(pv, rv, [os.path.abspath(a) for a in archives])
        stamp = now()
        exclude = [claims] if claims is not None else []
        items = list(iter_inputs(archives, text_column, id_column, exclude=exclude))
        summary.inputs = len(items)

        pending: dict[str, dict[str, Any]] = {}
        tasks: list[Task] = []
        failures: list[dict[str, Any]] = []
        for item in items:
            base = _base_row(item, pv, rv, run_id, stamp)
            if item.failed:
                failures.append({**base, "status": "failed", "error": item.error,
                                 "error_kind": item.kind})
                continue
            prior = priors.get(item.id)
            if claim_map is not None:
                billed: list[str] | None = claim_map.get(item.id, [])
            elif prior is not None and prior.billed_codes is not None:
                billed = prior.billed_codes.split()  # claims given before: keep them
            else:
                billed = None
            if billed is None:
                primary = item.primary
            else:
                primary = billed_primary(billed, addon, rules.valid_primaries,
                                         rules.primary_code_pattern) if addon in billed else None
            key = _inputs_key(primary, billed, item.meta)
            if (prior is not None and prior.status == "processed" and prior.sha256 == item.sha256
                    and prior.pipeline_version == pv and prior.rulepack_version == rv
                    and prior.inputs_key == key):
                summary.skipped += 1
                continue
            pending[item.id] = {**base, "claimed_primary": primary, "inputs_key": key,
                                "_billed": billed}
            tasks.append((item.id, item.text or "", primary))
            item.text = None  # the task holds it now
        for f in failures:
            _count_failure(summary, f, on_failure)
        store.write(failures)
        run_ids = {item.id for item in items}
        run_sources = {item.source for item in items}
        del items

        bar = Progress(len(tasks), stream=log, tty=progress) if progress is not False and tasks \
            else None
        try:
            for rows in _execute(tasks, batch_size, workers, scheduler, model, rulepack):
                out_rows = []
                for r in rows:
                    row = {**pending.pop(r["id"]), **r}
                    row.update(claim_fields(row.get("verdict"), row.pop("_billed"), addon))
                    if row["status"] == "failed":
                        row["inputs_key"] = None
                        _count_failure(summary, row, on_failure)
                    else:
                        summary.processed += 1
                    out_rows.append(row)
                store.write(out_rows)
                if bar is not None:
                    bar.advance(len(out_rows))
        except KeyboardInterrupt:
            summary.interrupted = True
        finally:
            if bar is not None:
                bar.close()
        summary.not_done = len(pending)
        if not summary.interrupted:
            store.drop_stale_failures(run_sources, run_ids)
        _count_actions(summary, store)
        store.finish_run(run_id, "interrupted" if summary.interrupted else "done",
                         summary.inputs, summary.processed, summary.skipped, summary.failed)
    finally:
        store.close()
    summary.seconds = time.monotonic() - t0
    return summary


def _base_row(item: Item, pv: str, rv: str, run_id: int, stamp: str) -> dict[str, Any]:
    extra = {k: v for k, v in item.meta.items()
             if k not in ("surgeon", "facility", "date_of_service")}
    return {"id": item.id, "source": item.source, "place": item.place, "sha256": item.sha256,
            "pipeline_version": pv, "rulepack_version": rv, "run_id": run_id,
            "updated_at": stamp, "surgeon": item.meta.get("surgeon"),
            "facility": item.meta.get("facility"),
            "date_of_service": item.meta.get("date_of_service"),
            "meta": json.dumps(extra) if extra else None}


def _count_failure(summary: AuditSummary, row: dict[str, Any],
                   on_failure: Callable[[str, str], None] | None) -> None:
    summary.failed += 1
    place = row.get("place") or row["id"]
    summary.failures.append((place, row["error"]))
    if on_failure is not None:
        on_failure(place, row["error"])


def _count_actions(summary: AuditSummary, store: Store) -> None:
    """The findings over the whole store (a rerun reports them too)."""
    actions = dict(store.db.execute(
        "SELECT action, COUNT(*) FROM reports WHERE status = 'processed' GROUP BY action"))
    summary.claims_known, summary.billed_addon = store.db.execute(
        "SELECT COUNT(billed_addon), COALESCE(SUM(billed_addon), 0) FROM reports "
        "WHERE status = 'processed'").fetchone()
    summary.unsupported_claims = actions.get(UNSUPPORTED_CLAIM, 0)
    summary.queries = actions.get(QUERY, 0)
    summary.missed_revenue = actions.get(MISSED_REVENUE, 0)


# ---------------------------------------------------------------------------------------------
# Execution: in-process, local process pool, Dask


def _batches(tasks: Sequence[Task], size: int) -> Iterator[list[Task]]:
    for i in range(0, len(tasks), size):
        yield list(tasks[i:i + size])


def _failed_rows(batch: Sequence[Task], error: str) -> list[dict[str, Any]]:
    return [{"id": rid, "status": "failed", "error": error, "error_kind": INTERNAL}
            for rid, _, _ in batch]


def _execute(tasks: Sequence[Task], batch_size: int, workers: int | None, scheduler: Any,
             model: str | None, rulepack: str | None) -> Iterator[list[dict[str, Any]]]:
    if not tasks:
        return
    batches = _batches(tasks, batch_size)
    n_batches = -(-len(tasks) // batch_size)
    if scheduler is not None:
        yield from _run_dask(batches, scheduler, model, rulepack)
        return
    if workers is None:
        workers = os.cpu_count() or 1
    workers = min(workers, n_batches)
    if workers <= 0:
        for batch in batches:
            yield check_batch(batch, model, rulepack)
        return
    yield from _run_pool(batches, workers, model, rulepack)


def _windowed(batches: Iterator[list[Task]], submit: Callable[[list[Task]], Any],
              wait_first: Callable[[list[Any]], Iterable[Any]], window: int
              ) -> Iterator[list[dict[str, Any]]]:
    """Keep `window` batches in flight; yield each batch's rows as it completes."""
    in_flight: dict[Any, list[Task]] = {}

    def fill() -> None:
        while len(in_flight) < window:
            batch = next(batches, None)
            if batch is None:
                return
            in_flight[submit(batch)] = batch

    fill()
    while in_flight:
        for fut in wait_first(list(in_flight)):
            batch = in_flight.pop(fut)
            try:
                rows = fut.result()
            except Exception as exc:  # noqa: BLE001 - a dead worker fails its batch only
                rows = _failed_rows(batch, f"worker failed ({type(exc).__name__}: {exc})")
            yield rows
        fill()


def _run_pool(batches: Iterator[list[Task]], workers: int, model: str | None,
              rulepack: str | None) -> Iterator[list[dict[str, Any]]]:
    import multiprocessing
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

    # spawn: the parent may run a progress thread, and fork with threads is unsafe
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context(
        "spawn"), initializer=init_worker, initargs=(model, rulepack))
    try:
        yield from _windowed(
            batches, lambda b: pool.submit(check_batch, b, model, rulepack),
            lambda fs: wait(fs, return_when=FIRST_COMPLETED).done, window=workers * 3)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _run_dask(batches: Iterator[list[Task]], scheduler: Any, model: str | None,
              rulepack: str | None) -> Iterator[list[dict[str, Any]]]:
    from distributed import Client, wait

    own = not isinstance(scheduler, Client)
    client = Client(scheduler, timeout="30s") if own else scheduler
    try:
        n = max(1, len(client.scheduler_info().get("workers", {})))

        def submit(batch: list[Task]) -> Any:
            (fut,) = client.map(check_batch, [batch], model=model, rulepack=rulepack, pure=False)
            return fut

        yield from _windowed(batches, submit,
                             lambda fs: wait(fs, return_when="FIRST_COMPLETED").done,
                             window=n * 3)
    finally:
        if own:
            client.close()
