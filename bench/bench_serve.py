"""Latency of POST /api/v1/check on a warm `opcheck serve`, at 1 and 8 concurrent clients.

Run: .venv/bin/python bench/bench_serve.py [--requests N] [--model DIR]

Starts `opcheck serve` as a subprocess on a free 127.0.0.1 port (loopback only), warms it up,
then times requests for a report of about 1,000 words: a real corpus report of that length if
there is one, else corpus reports joined. Each client is a thread with its own keep-alive
httpx connection. Request counts are bounded (--requests per level, default 200).
Target: p99 < 50 ms at 1 client. The checker runs one pipeline on one worker thread, so at 8
clients requests queue: expect the median to grow to about 8 x the 1-client figure.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
TARGET_WORDS = 1000
P99_TARGET_MS = 50.0
WARMUP = 20
MAX_REQUESTS = 2000


def long_report() -> str:
    """One report of about 1,000 words from corpus/*.jsonl."""
    texts: list[str] = []
    for path in sorted((ROOT / "corpus").glob("*.jsonl")):
        with path.open(encoding="utf-8") as fh:
            texts += [json.loads(line)["text"] for line in fh if line.strip()]
    real = [t for t in texts if 0.8 * TARGET_WORDS <= len(t.split()) <= 1.25 * TARGET_WORDS]
    if real:
        return min(real, key=lambda t: abs(len(t.split()) - TARGET_WORDS))
    parts, words = [], 0
    for t in texts:
        parts.append(t)
        words += len(t.split())
        if words >= TARGET_WORDS:
            break
    return "\n\n".join(parts)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port: int, model: str | None) -> subprocess.Popen:
    cmd = [sys.executable, "-c", "from nlp.cli import main; main()", "serve",
           "--host", "127.0.0.1", "--port", str(port)]
    if model:
        cmd += ["--model", model]
    env = {k: v for k, v in os.environ.items() if k != "OPCHECK_TOKEN"}
    return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)


def wait_ready(base: str, proc: subprocess.Popen, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited ({proc.returncode}): {proc.stderr.read()[-400:]}")
        try:
            if httpx.get(base + "/api/v1/health", timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise SystemExit("server did not become ready")


def percentile(sorted_ms: list[float], q: float) -> float:
    """Nearest-rank percentile."""
    k = max(0, math.ceil(q / 100 * len(sorted_ms)) - 1)
    return sorted_ms[k]


def run_level(base: str, body: dict, clients: int, total: int) -> tuple[list[float], float]:
    """`total` requests spread over `clients` threads; (latencies in ms, wall seconds)."""
    per_client = [total // clients + (1 if i < total % clients else 0) for i in range(clients)]
    latencies: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()
    barrier = threading.Barrier(clients + 1)

    def worker(n: int) -> None:
        mine = []
        with httpx.Client(base_url=base, timeout=30.0) as client:
            client.post("/api/v1/check", json=body)  # open the keep-alive connection
            barrier.wait()
            for _ in range(n):
                t0 = time.perf_counter()
                r = client.post("/api/v1/check", json=body)
                mine.append((time.perf_counter() - t0) * 1000)
                if r.status_code != 200:
                    failures.append(f"HTTP {r.status_code}")
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=worker, args=(n,)) for n in per_client]
    for t in threads:
        t.start()
    barrier.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    if failures:
        raise SystemExit(f"{len(failures)} failed requests, e.g. {failures[0]}")
    return sorted(latencies), wall


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--requests", type=int, default=200,
                    help=f"timed requests per concurrency level (max {MAX_REQUESTS})")
    ap.add_argument("--clients", type=int, nargs="+", default=[1, 8])
    ap.add_argument("--model", default=None, help="saved pipeline (default as the CLI)")
    args = ap.parse_args(argv)
    total = max(1, min(args.requests, MAX_REQUESTS))

    text = long_report()
    body = {"text": text, "primary": "27356"}
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = start_server(port, args.model)
    try:
        wait_ready(base, proc)
        with httpx.Client(base_url=base, timeout=30.0) as client:
            for _ in range(WARMUP):
                r = client.post("/api/v1/check", json=body)
                r.raise_for_status()
            verdict = r.json()["verdict"]
        print(f"server: {base} (opcheck serve, warm: {WARMUP} requests)")
        print(f"note: {len(text.split())} words, {len(text):,} chars; verdict {verdict}")
        print()
        print(f"{'clients':>7} {'requests':>9} {'median ms':>10} {'p99 ms':>8} {'max ms':>8} "
              f"{'req/s':>7}")
        figures = {}
        for clients in args.clients:
            lat, wall = run_level(base, body, clients, total)
            figures[clients] = lat
            print(f"{clients:>7} {len(lat):>9} {statistics.median(lat):>10.1f} "
                  f"{percentile(lat, 99):>8.1f} {lat[-1]:>8.1f} {len(lat) / wall:>7.1f}")
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()

    print()
    if 1 not in figures:
        return 0
    p99 = percentile(figures[1], 99)
    ok = p99 < P99_TARGET_MS
    print(f"{'target':28}{'value':>10}{'goal':>10}  result")
    print(f"{'p99 at 1 client':28}{p99:>8.1f} ms{'< 50 ms':>10}  {'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
