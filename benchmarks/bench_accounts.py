"""Month-end patient accounts benchmark (issue: direct pay and the patient account).

Loads 5,000 patients with six months of ledger activity (~110,000 entries: charges in both streams,
insurance payments and adjustments, patient responsibility, patient payments), then times the
month-end run: every patient's balances plus practice-wide A/R aging (target <= 10 s on PostgreSQL),
and statement PDFs (WeasyPrint): the per-PDF cost on a sample and the projected time for all.
Run on PostgreSQL with DATABASE_URL set; SQLite otherwise.
"""

from __future__ import annotations

import random
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

PATIENTS = 5_000
PDF_SAMPLE = 40
AS_OF = date(2026, 11, 30)


def _load() -> list[int]:
    from plexus.billing.models import Account, EntryKind, LedgerEntry
    from plexus.core.demo.loader import load_setup
    from plexus.patients.models import Patient

    load_setup(1)
    rng = random.Random(61)
    Patient.objects.bulk_create([
        Patient(chart_number=f"B{n:06d}", legal_first_name="Pat", legal_last_name=f"Bench{n}",
                date_of_birth=date(1960 + n % 40, 1 + n % 12, 1 + n % 28), sex_for_claims="FM"[n % 2],
                address_line1=f"{n} Oak Ave", city="Portland", state="OR", postal_code="97205")
        for n in range(PATIENTS)], batch_size=1000)
    ids = list(Patient.objects.filter(chart_number__startswith="B").values_list("pk", flat=True))
    entries = []
    for pid in ids:
        for month in range(6):
            day = datetime(2026, 6 + month, rng.randint(1, 28), 17, tzinfo=UTC)
            fee = Decimal(rng.choice((75, 120, 190, 225)))
            key = f"b:{pid}:{month}"
            if rng.random() < 0.6:  # an insurance-billed visit, paid 3 weeks later with coinsurance
                paid, pr = (fee * Decimal("0.64")).quantize(Decimal("0.01")), (fee * Decimal("0.16")).quantize(
                    Decimal("0.01"))
                later = day + timedelta(days=21)
                entries += [
                    LedgerEntry(patient_id=pid, account=Account.INSURANCE, kind=EntryKind.CHARGE, amount=fee,
                                posted_at=day, key=f"{key}:c", username="bench"),
                    LedgerEntry(patient_id=pid, account=Account.INSURANCE, kind=EntryKind.INSURANCE_PAYMENT,
                                amount=-paid, posted_at=later, key=f"{key}:p", username="bench"),
                    LedgerEntry(patient_id=pid, account=Account.INSURANCE, kind=EntryKind.ADJUSTMENT,
                                amount=-(fee - paid - pr), posted_at=later, key=f"{key}:a", username="bench"),
                    LedgerEntry(patient_id=pid, account=Account.INSURANCE, kind=EntryKind.TRANSFER, amount=-pr,
                                posted_at=later, key=f"{key}:o", username="bench"),
                    LedgerEntry(patient_id=pid, account=Account.PATIENT, kind=EntryKind.TRANSFER, amount=pr,
                                posted_at=later, key=f"{key}:i", username="bench"),
                ]
            else:  # a direct-pay visit, often paid at checkout
                entries.append(LedgerEntry(patient_id=pid, account=Account.PATIENT, kind=EntryKind.CHARGE,
                                           amount=fee, posted_at=day, key=f"{key}:d", username="bench"))
                if rng.random() < 0.7:
                    entries.append(LedgerEntry(patient_id=pid, account=Account.PATIENT,
                                               kind=EntryKind.PATIENT_PAYMENT, amount=-fee, posted_at=day,
                                               method="card_external", key=f"{key}:pp", username="bench"))
    LedgerEntry.objects.bulk_create(entries, batch_size=2000)
    return ids


def _run(vendor: str) -> None:
    from django.db.models import Sum

    from plexus.billing import ledger
    from plexus.billing.documents import to_pdf
    from plexus.billing.models import LedgerEntry
    from plexus.billing.statements import statement_data, statement_html
    from plexus.patients.models import Patient

    started = time.perf_counter()
    ids = _load()
    n_entries = LedgerEntry.objects.count()
    print(f"{vendor}: loaded {len(ids):,} patients and {n_entries:,} ledger entries "
          f"({time.perf_counter() - started:.1f} s)")
    t0 = time.perf_counter()
    balances = {}
    for pid, account, total in (LedgerEntry.objects.values_list("patient_id", "account")
                                .annotate(s=Sum("amount")).values_list("patient_id", "account", "s")):
        balances.setdefault(pid, {})[account] = total
    rows = ledger.aging(AS_OF)
    elapsed = time.perf_counter() - t0
    owing = sum(1 for b in balances.values() if (b.get("patient") or 0) > 0)
    print(f"{vendor}: month-end balances for {len(balances):,} patients + A/R aging: {elapsed:.2f} s "
          f"(target <= 10 s: {'met' if elapsed <= 10 else 'MISSED'}); {owing:,} patients owe; "
          f"open A/R {sum((r.total for r in rows), Decimal(0)):,.2f}")
    sample = list(Patient.objects.filter(pk__in=ids[:PDF_SAMPLE]))
    t1 = time.perf_counter()
    size = 0
    for p in sample:
        size += len(to_pdf(statement_html(statement_data(p, AS_OF))))
    per = (time.perf_counter() - t1) / len(sample)
    print(f"{vendor}: statement PDFs: {per * 1000:.0f} ms each ({size // len(sample):,} bytes) on {len(sample)}; "
          f"projected {per * PATIENTS / 60:.1f} min for all {PATIENTS:,} (one worker; they run in the background)")


def main() -> None:
    from benchmarks._django import test_database

    with test_database() as vendor:
        _run(vendor)


if __name__ == "__main__":
    main()
