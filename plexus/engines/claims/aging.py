"""Accounts receivable aging: open charges by age after applying credits oldest first."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

__all__ = ["Aging", "Entry", "age"]

_ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class Entry:
    """One ledger posting: positive ``amount`` is a debit (charge), negative a credit (payment, adjustment)."""

    posted: date
    amount: Decimal


@dataclass(frozen=True, slots=True)
class Aging:
    """Open debits by days since posting; buckets are never negative.

    ``total`` is the sum of the five buckets (the open receivable); ``unapplied_credit`` is credit
    left after every debit is paid (a credit balance), so ``balance`` = total - unapplied_credit.
    """

    b0_30: Decimal
    b31_60: Decimal
    b61_90: Decimal
    b91_120: Decimal
    b120_plus: Decimal
    total: Decimal
    unapplied_credit: Decimal

    @property
    def balance(self) -> Decimal:
        """Return the net balance: open debits less unapplied credit (the sum of all amounts)."""
        return self.total - self.unapplied_credit


def age(entries: Iterable[Entry], as_of: date) -> Aging:
    """Return the aging of ``entries`` as of ``as_of``; entries posted after ``as_of`` are ignored.

    Credits (of any date) pay the oldest open debits first (FIFO), which is the same as applying each
    credit when posted and carrying any excess forward to later debits. A debit then ages by the days
    from its posting date to ``as_of``: 0-30, 31-60, 61-90, 91-120, 121 and more.
    """
    debits: list[Entry] = []
    credit = _ZERO
    for entry in entries:
        if entry.posted > as_of:
            continue
        if entry.amount > 0:
            debits.append(entry)
        else:
            credit -= entry.amount
    buckets = [_ZERO] * 5
    for debit in sorted(debits, key=lambda e: e.posted):
        applied = min(credit, debit.amount)
        credit -= applied
        open_amount = debit.amount - applied
        if open_amount:
            buckets[_bucket((as_of - debit.posted).days)] += open_amount
    return Aging(*buckets, total=sum(buckets, _ZERO), unapplied_credit=credit)


def _bucket(days: int) -> int:
    return 0 if days <= 30 else 1 if days <= 60 else 2 if days <= 90 else 3 if days <= 120 else 4
