"""Eligibility summary benchmark: parse 10,000 separate 271s and summarise each for the six
service types the practice asks about (plexus.billing.benefits, pure). Target: summarising
10,000 answers <= 2 s (the parse itself is bench_x12's figure)."""

from __future__ import annotations

import time

N = 10_000


def main() -> None:
    from plexus.billing.benefits import DEFAULT_SERVICE_TYPES, summarize
    from plexus.engines.x12 import parse_271
    from plexus.engines.x12.tests.factories import make_271

    texts = [make_271(n, seed=17) for n in range(N)]
    started = time.perf_counter()
    responses = [r for t in texts for r in parse_271(t)]
    parsed = time.perf_counter()
    summaries = [summarize(r, DEFAULT_SERVICE_TYPES) for r in responses]
    done = time.perf_counter()
    assert len(summaries) == N and summaries[0].services[2].service_type == "64"
    print(f"parse {N:,} 271s: {parsed - started:.3f} s; summarise: {done - parsed:.3f} s; "
          f"total {done - started:.3f} s (summary {'OK' if done - parsed <= 2.0 else 'SLOW'}, target <= 2 s)")


if __name__ == "__main__":
    main()
