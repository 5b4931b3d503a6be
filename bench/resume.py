"""Resume benchmarks: how long a PDF export and a completeness computation take (p50/p95 over N runs).

    python -m bench.resume [--runs 50] [--completeness-runs 5000]

In-process, no server: the figures are the service's own cost per request, before HTTP and the database.
"""
from __future__ import annotations

import argparse
import statistics
import time

from services.resume.domain.completeness import compute
from services.resume.domain.pdf import font_name, render_resume_pdf
from services.resume.domain.sections import normalize_content
from tests.resume.samples import full_sections


def _timings(fn, runs: int) -> list[float]:
    fn()  # warm-up: font registration, imports, caches
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def _row(label: str, samples: list[float]) -> str:
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return f"{label:<44} {len(samples):>6} {cuts[49]:>10.3f} {cuts[94]:>10.3f} {max(samples):>10.3f}"


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50, help="PDF exports per font")
    parser.add_argument("--completeness-runs", type=int, default=5000)
    args = parser.parse_args(argv)

    content = normalize_content(full_sections())
    zh = {"kind": "zh", "title": "我的简历", **content}
    en = {"kind": "en", "title": "My Resume", **content}
    embedded = font_name(prefer_ttf=True)

    print(f"{'operation':<44} {'runs':>6} {'p50 ms':>10} {'p95 ms':>10} {'max ms':>10}")
    print(_row(f"PDF export zh, font {embedded}", _timings(lambda: render_resume_pdf(zh), args.runs)))
    print(_row(f"PDF export en, font {embedded}", _timings(lambda: render_resume_pdf(en), args.runs)))
    print(_row("PDF export zh, CID font STSong-Light",
               _timings(lambda: render_resume_pdf(zh, prefer_ttf=False), args.runs)))
    print(_row("completeness, full resume", _timings(lambda: compute("zh", content), args.completeness_runs)))
    empty = normalize_content({})
    print(_row("completeness, empty resume", _timings(lambda: compute("zh", empty), args.completeness_runs)))
    print(_row("normalize + completeness (stored JSON)",
               _timings(lambda: compute("zh", normalize_content(content)), args.completeness_runs)))


if __name__ == "__main__":
    main()
