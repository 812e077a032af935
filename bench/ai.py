"""Analysis throughput and latency: language + sentiment + intent per message, against a baseline
of plain VADER alone measured in the same run, over the shipped evaluation messages.

    .venv/bin/python bench/ai.py [--rounds N]

Final line: ``RESULT ai key=value …`` (µs per message; messages/s on one core).
"""

from __future__ import annotations

import argparse
import statistics
import time

from harness import percentile
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from pytake_daemon.ai.analyzer import shared_analyzer
from pytake_daemon.ai.datasets import LANGUAGES, evaluation_set


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    analyzer = shared_analyzer()
    model = analyzer.train()
    vader = SentimentIntensityAnalyzer()
    texts = [m.text for lang in LANGUAGES for m in evaluation_set(lang)]
    for text in texts[:50]:  # warm caches
        analyzer.analyse(text, model=model, fallback="pt")
    ours: list[float] = []
    baseline: list[float] = []
    for _ in range(args.rounds):
        for text in texts:
            start = time.perf_counter_ns()
            vader.polarity_scores(text)
            baseline.append((time.perf_counter_ns() - start) / 1000)
            start = time.perf_counter_ns()
            analyzer.analyse(text, model=model, fallback="pt")
            ours.append((time.perf_counter_ns() - start) / 1000)
    ours.sort()
    baseline.sort()
    print(
        "RESULT ai "
        f"messages={len(ours)} "
        f"median_us={statistics.median(ours):.1f} p99_us={percentile(ours, 0.99):.1f} "
        f"msgs_per_s={len(ours) / (sum(ours) / 1e6):.0f} "
        f"vader_median_us={statistics.median(baseline):.1f} "
        f"vader_p99_us={percentile(baseline, 0.99):.1f} "
        f"vader_msgs_per_s={len(baseline) / (sum(baseline) / 1e6):.0f}"
    )


if __name__ == "__main__":
    main()
