"""Throughput and latency of the checker against a bare spaCy tokenizer, plus cold start.

Run: .venv/bin/python bench/bench_check.py [--n N] [--model DIR]

Texts: corpus/*.jsonl and, when present, ../shared/external/mtsamples_ortho.jsonl (read at
run time). Targets: checker docs/s >= 0.33 x bare tokenizer docs/s; cold `opcheck check` < 2 s.
Every throughput figure is the best of --repeat passes, taken after a warm-up pass.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXTERNAL = ROOT.parent / "shared" / "external" / "mtsamples_ortho.jsonl"
RATIO_TARGET = 0.33
COLD_TARGET_S = 2.0
LONG_WORDS = 1000


def load_texts() -> tuple[list[str], list[str]]:
    """(all texts, corpus texts) from corpus/*.jsonl and the external file if present."""
    corpus: list[str] = []
    for path in sorted((ROOT / "corpus").glob("*.jsonl")):
        corpus += [json.loads(line)["text"] for line in path.open(encoding="utf-8")
                   if line.strip()]
    external: list[str] = []
    if EXTERNAL.exists():
        external = [json.loads(line)["text"] for line in EXTERNAL.open(encoding="utf-8")
                    if line.strip()]
    return corpus + external, corpus


def long_reports(texts: Sequence[str], corpus: Sequence[str]) -> list[str]:
    """Reports of about 1,000 words: real ones if any, else corpus reports concatenated."""
    real = [t for t in texts if 0.8 * LONG_WORDS <= len(t.split()) <= 1.25 * LONG_WORDS]
    if real:
        return real
    made, parts, words = [], [], 0
    for t in corpus:
        parts.append(t)
        words += len(t.split())
        if words >= LONG_WORDS:
            made.append("\n\n".join(parts))
            parts, words = [], 0
    return made[:20]


def best_of(repeat: int, fn: Callable[[], object]) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def cold_start(repeat: int) -> float:
    exe = Path(sys.executable).parent / "opcheck"
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-c",
                                           "from nlp.cli import main; main()"]
    cmd += ["check", str(ROOT / "samples" / "supported.txt")]

    def once() -> None:
        subprocess.run(cmd, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)

    return best_of(repeat, once)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=0,
                    help="documents per pass (cycling the texts); default: all texts once")
    ap.add_argument("--repeat", type=int, default=3, help="passes per figure (best is kept)")
    ap.add_argument("--latency-runs", type=int, default=60)
    ap.add_argument("--model", default=None, help="saved pipeline (default as the CLI)")
    ap.add_argument("--no-cold", action="store_true", help="skip the cold-start subprocess")
    args = ap.parse_args(argv)

    import spacy

    from nlp.check import Checker

    texts, corpus = load_texts()
    if args.n:
        texts = [texts[i % len(texts)] for i in range(args.n)]
    blank = spacy.blank("en")
    checker = Checker(model=args.model)
    words = sum(len(t.split()) for t in texts)
    n_tokens = sum(len(d) for d in blank.tokenizer.pipe(texts))  # also the warm-up
    for t in texts[:20]:
        checker.check(t)
    print(f"texts: {len(texts)} ({words:,} words, {n_tokens:,} tokens); "
          f"external file {'used' if EXTERNAL.exists() else 'absent'}")

    t_tok = best_of(args.repeat, lambda: [None for _ in blank.tokenizer.pipe(texts)])
    t_chk = best_of(args.repeat, lambda: [checker.check(t) for t in texts])
    t_many = best_of(args.repeat, lambda: list(checker.check_many((t, None) for t in texts)))

    longs = long_reports(texts, corpus)
    for t in longs[:3]:
        checker.check(t)
    lat = []
    for i in range(args.latency_runs):
        t = longs[i % len(longs)]
        t0 = time.perf_counter()
        checker.check(t)
        lat.append((time.perf_counter() - t0) * 1000)
    lat.sort()
    p50 = statistics.median(lat)
    p95 = lat[min(len(lat) - 1, round(0.95 * (len(lat) - 1)))]
    long_words = statistics.mean(len(t.split()) for t in longs)

    n = len(texts)
    tok_dps, chk_dps, many_dps = n / t_tok, n / t_chk, n / t_many
    ratio = chk_dps / tok_dps
    rows = [
        ("blank('en') tokenizer", f"{tok_dps:10.1f}", f"{n_tokens / t_tok:12,.0f}"),
        ("Checker.check per text", f"{chk_dps:10.1f}", f"{n_tokens / t_chk:12,.0f}"),
        ("Checker.check_many", f"{many_dps:10.1f}", f"{n_tokens / t_many:12,.0f}"),
    ]
    print()
    print(f"{'':26}{'docs/s':>10}{'tokens/s':>12}")
    for name, a, b in rows:
        print(f"{name:26}{a}{b}")
    print()
    print(f"latency, ~{long_words:.0f}-word reports ({len(longs)} distinct, "
          f"{len(lat)} runs): median {p50:.1f} ms, p95 {p95:.1f} ms")

    results = [("checker/tokenizer docs/s", f"{ratio:.3f}", f">= {RATIO_TARGET}",
                ratio >= RATIO_TARGET)]
    if not args.no_cold:
        cold = cold_start(args.repeat)
        results.append(("cold `opcheck check`", f"{cold:.2f} s", f"< {COLD_TARGET_S:.0f} s",
                        cold < COLD_TARGET_S))
    print()
    print(f"{'target':28}{'value':>10}{'goal':>10}  result")
    for name, value, goal, ok in results:
        print(f"{name:28}{value:>10}{goal:>10}  {'PASS' if ok else 'FAIL'}")
    return 0 if all(ok for *_, ok in results) else 1


if __name__ == "__main__":
    sys.exit(main())
