"""Receivable aging: FIFO credit application and bucket boundaries, with properties."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from plexus.engines.claims import Aging, Entry, age

AS_OF = date(2025, 6, 30)
D = Decimal


def ago(days: int, amount: str) -> Entry:
    return Entry(AS_OF - timedelta(days=days), D(amount))


def buckets(a: Aging) -> tuple[Decimal, ...]:
    return (a.b0_30, a.b31_60, a.b61_90, a.b91_120, a.b120_plus)


def test_bucket_boundaries() -> None:
    entries = [ago(d, "1") for d in (0, 30, 31, 60, 61, 90, 91, 120, 121, 400)]
    assert buckets(age(entries, AS_OF)) == (D(2), D(2), D(2), D(2), D(2))


def test_credits_pay_oldest_debits_first() -> None:
    entries = [ago(10, "100"), ago(100, "80"), ago(5, "-50"), ago(45, "60")]
    result = age(entries, AS_OF)
    # 50 pays 50 of the 100-day-old 80; 30 of it stays in 91-120.
    assert buckets(result) == (D(100), D(60), D(0), D(30), D(0))
    assert result.total == D(190) and result.unapplied_credit == D(0) and result.balance == D(190)


def test_prepayment_applies_to_later_charges() -> None:
    result = age([ago(70, "-40"), ago(20, "100")], AS_OF)
    assert buckets(result) == (D(60), D(0), D(0), D(0), D(0))


def test_overpayment_is_unapplied_credit_not_a_negative_bucket() -> None:
    result = age([ago(40, "100"), ago(3, "-150.25")], AS_OF)
    assert buckets(result) == (D(0),) * 5
    assert result.total == D(0) and result.unapplied_credit == D("50.25") and result.balance == D("-50.25")


def test_empty_ledger_and_future_entries() -> None:
    assert age([], AS_OF) == Aging(*(D(0),) * 7)
    result = age([ago(-1, "500"), ago(-2, "-20"), ago(1, "10")], AS_OF)  # posted after as_of: ignored
    assert buckets(result) == (D(10), D(0), D(0), D(0), D(0)) and result.unapplied_credit == D(0)


amounts = st.decimals(min_value=-500, max_value=500, places=2, allow_nan=False, allow_infinity=False)
entries_st = st.lists(st.builds(ago, st.integers(0, 200), amounts.map(str)), max_size=25)


@given(entries_st)
def test_buckets_less_unapplied_credit_is_the_sum_of_amounts(entries: list[Entry]) -> None:
    result = age(entries, AS_OF)
    assert result.total == sum(buckets(result), D(0))
    assert result.total - result.unapplied_credit == sum((e.amount for e in entries), D(0))


@given(entries_st)
def test_buckets_and_unapplied_credit_are_never_negative(entries: list[Entry]) -> None:
    result = age(entries, AS_OF)
    assert all(b >= 0 for b in buckets(result)) and result.unapplied_credit >= 0
    assert result.unapplied_credit == 0 or result.total == 0  # credit is left only when nothing is open


@given(entries_st, st.randoms(use_true_random=False))
def test_order_of_entries_does_not_matter(entries: list[Entry], rnd) -> None:
    shuffled = list(entries)
    rnd.shuffle(shuffled)
    assert age(shuffled, AS_OF) == age(entries, AS_OF)


@given(st.lists(amounts.filter(lambda a: a < 0).map(str), max_size=6), st.permutations(range(6)))
def test_order_of_same_day_credits_does_not_matter(credits: list[str], order: list[int]) -> None:
    debits = [ago(75, "120"), ago(40, "80"), ago(10, "300")]
    same_day = [ago(15, c) for c in credits]
    permuted = [same_day[i] for i in order if i < len(same_day)]
    assert age(debits + permuted, AS_OF) == age(debits + same_day, AS_OF)


@given(entries_st)
def test_open_amounts_are_the_newest_debits_left_after_credits(entries: list[Entry]) -> None:
    credit = -sum((e.amount for e in entries if e.amount < 0), D(0))
    expected = [D(0)] * 5
    paid_through = D(0)  # running total of debits, oldest first
    for debit in sorted((e for e in entries if e.amount > 0), key=lambda e: e.posted):
        paid_through += debit.amount
        open_part = min(debit.amount, max(paid_through - credit, D(0)))
        days = (AS_OF - debit.posted).days
        expected[sum(days > limit for limit in (30, 60, 90, 120))] += open_part
    assert buckets(age(entries, AS_OF)) == tuple(expected)
