"""Choose practitioners (or rooms) for the components of one block."""

from __future__ import annotations

from .intervals import Span


def assign(
    cands: list[tuple[int, ...]], occupancy: list[Span], weight: frozenset[int]
) -> tuple[int, tuple[int, ...]] | None:
    """Pick one id per component, ascending candidate tuples given, maximising picks in ``weight``.

    Two components may share an id only if their ``occupancy`` spans do not overlap. Among the
    choices with the most weighted picks return the lexicographically smallest, as
    ``(weighted_count, ids)``; return None when no choice is conflict-free.
    """
    choice: list[int] = []
    total = 0
    for c in cands:
        pick = c[0]
        if weight:
            for x in c:
                if x in weight:
                    pick = x
                    total += 1
                    break
        choice.append(pick)
    n = len(choice)
    if not _has_conflict(choice, occupancy, n):
        return total, tuple(choice)
    # Rare: a shared candidate would be double-booked; search exhaustively in lexicographic order.
    rem = [0] * (n + 1)
    for i in range(n - 1, -1, -1):
        rem[i] = rem[i + 1] + (1 if weight and any(x in weight for x in cands[i]) else 0)
    best: list[tuple[int, tuple[int, ...]]] = []
    picked: list[int] = []

    def rec(i: int, w: int) -> None:
        if best and w + rem[i] <= best[0][0]:
            return
        if i == n:
            best[:] = [(w, tuple(picked))]
            return
        s_i, e_i = occupancy[i]
        for x in cands[i]:
            if any(picked[j] == x and occupancy[j][0] < e_i and s_i < occupancy[j][1] for j in range(i)):
                continue
            picked.append(x)
            rec(i + 1, w + (1 if x in weight else 0))
            picked.pop()

    rec(0, 0)
    return best[0] if best else None


def _has_conflict(choice: list[int], occupancy: list[Span], n: int) -> bool:
    for i in range(n):
        for j in range(i + 1, n):
            if choice[i] == choice[j] and occupancy[i][0] < occupancy[j][1] and occupancy[j][0] < occupancy[i][1]:
                return True
    return False
