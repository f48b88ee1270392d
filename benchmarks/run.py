"""Run every benchmark module (benchmarks/bench_*.py) and print its figures.

Usage: python -m benchmarks.run [NAME ...]   (NAME matches bench_<NAME>.py)
Each module exposes ``main() -> None`` that prints its own figures and ratios.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
import time

import benchmarks


def main(argv: list[str]) -> int:
    names = sorted(m.name for m in pkgutil.iter_modules(benchmarks.__path__) if m.name.startswith("bench_"))
    wanted = {f"bench_{a}" if not a.startswith("bench_") else a for a in argv}
    failures = 0
    for name in names:
        if wanted and name not in wanted:
            continue
        print(f"\n=== {name} ===", flush=True)
        started = time.perf_counter()
        try:
            importlib.import_module(f"benchmarks.{name}").main()
        except Exception as exc:  # a broken benchmark is reported and the others still run
            failures += 1
            print(f"FAILED: {exc!r}")
        print(f"--- {name}: {time.perf_counter() - started:.1f} s wall", flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
