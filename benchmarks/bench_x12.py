"""X12 codec benchmark: 837P build, 835 parse, 271 parse, and pyx12 on the same 835.

Targets (issue): each of ours <= 2 s for 10,000 claims / responses, and >= 20x faster than pyx12.
Each figure is the best of a few runs (the machine may be shared); pyx12 runs once.
"""

from __future__ import annotations

import io
import logging
import time
from collections.abc import Callable

from plexus.engines.x12 import build_837p, parse_271, parse_835
from plexus.engines.x12.tests.factories import envelope, make_271, make_835, random_batch

N = 10_000
PYX12_LIMIT_S = 60.0
REPEATS = 3


def _best(func: Callable[[], object], repeats: int = REPEATS) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeats):
        started = time.perf_counter()
        result = func()
        best = min(best, time.perf_counter() - started)
    return best, result


def _pyx12_seconds(text: str) -> float:
    import pyx12.params
    import pyx12.x12n_document

    logging.getLogger("pyx12").setLevel(logging.CRITICAL)
    started = time.perf_counter()
    ok = pyx12.x12n_document.x12n_document(pyx12.params.params(), io.StringIO(text), fd_997=None,
                                           fd_html=None, fd_xmldoc=None, fd_json=None, map_path=None)
    elapsed = time.perf_counter() - started
    if not ok:
        raise RuntimeError("pyx12 rejected the generated 835")
    return elapsed


def main() -> None:
    batch = random_batch(N, seed=11)
    t_build, text_837 = _best(lambda: build_837p(batch, envelope()))
    assert isinstance(text_837, str)
    print(f"build 837P, {N:,} claims in one interchange: {t_build:.3f} s ({len(text_837) / 1e6:.1f} MB, "
          f"{text_837.count('~ST*') + text_837.startswith('ST*')} transaction sets)")

    text_835 = make_835(N, seed=12)
    t_835, remits = _best(lambda: parse_835(text_835))
    assert isinstance(remits, list) and len(remits[0].claims) == N
    print(f"parse 835, {N:,} claims: {t_835:.3f} s ({len(text_835) / 1e6:.1f} MB)")

    texts_271 = [make_271(n, seed=13) for n in range(N)]
    t_271, responses = _best(lambda: [parse_271(t) for t in texts_271])
    assert isinstance(responses, list) and len(responses) == N
    print(f"parse {N:,} separate 271 interchanges: {t_271:.3f} s")

    small = make_835(N // 10, seed=12)
    t_small = _pyx12_seconds(small)
    if t_small * 10 <= PYX12_LIMIT_S:
        t_pyx12 = _pyx12_seconds(text_835)
        how = f"measured on the same {N:,}-claim 835"
    else:
        t_pyx12 = t_small * 10
        how = f"measured {t_small:.1f} s on a {N // 10:,}-claim 835 (same generator), scaled x10 per claim"
    print(f"pyx12 validate 835, {N:,} claims: {t_pyx12:.1f} s ({how})")
    ratio = t_pyx12 / t_835
    print(f"ratio pyx12 / ours (835 parse): {ratio:.0f}x")
    ok = max(t_build, t_835, t_271) <= 2.0 and ratio >= 20
    print(f"targets (each <= 2 s, >= 20x pyx12): {'met' if ok else 'NOT met'}")
