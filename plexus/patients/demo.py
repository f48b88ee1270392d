"""Synthetic demo patients (Faker, fixed seed): a realistic mix of self-pay, one or two
coverages and HSA/FSA holders. Deterministic: the same scale always yields the same people."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, timedelta

from django.db import transaction
from faker import Faker

from plexus.core.models import Payer
from plexus.patients.models import Coverage, Patient, Relationship

SEED = 20261127
TODAY_ANCHOR = date(2026, 11, 27)  # demo data is anchored to a fixed date, not to today
AREA = {"OR": ("503", "America/Los_Angeles", "Portland", "972"), "CO": ("303", "America/Denver", "Boulder", "803")}
PRONOUNS = ["she/her", "he/him", "they/them", "", "", ""]


def _phone(rng: random.Random, area: str) -> str:
    # 555-01xx numbers are reserved for fiction (NANPA).
    return f"+1{area}5550{rng.randint(100, 199)}"


def _maria() -> dict:
    return dict(
        legal_first_name="Maria", legal_last_name="Lopez", date_of_birth=date(1974, 5, 14), sex_for_claims="F",
        pronouns="she/her", address_line1="2210 NE Alberta St", city="Portland", state="OR", postal_code="97211",
        phone_mobile="+15035550142", email="maria.lopez@example.com", time_zone="America/Los_Angeles",
        preferred_channel="sms", consent_sms=True, consent_email=True, has_hsa_fsa=True,
    )


def generate(count: int) -> Iterator[tuple[dict, list[dict]]]:
    """Yield (patient fields, coverage field dicts with 'payer_id' as X12 payer ID) deterministically."""
    fake = Faker("en_US")
    fake.seed_instance(SEED)
    rng = random.Random(SEED)
    yield _maria(), [dict(payer_id="EVG01", member_id="EVG8842001", group_number="GRP-4410",
                          plan_name="Evergreen Gold PPO", relationship=Relationship.SELF, priority=1,
                          effective_date=date(2026, 1, 1))]
    commercial = ["EVG01", "SUMM2", "PBC03", "RMHP4"]
    for i in range(1, count):
        sex = rng.choice("FFFMMU" if i % 50 == 0 else "FFFMM")
        first = fake.first_name_female() if sex == "F" else fake.first_name_male() if sex == "M" else fake.first_name()
        age = rng.choice([rng.randint(18, 64)] * 3 + [rng.randint(65, 90), rng.randint(2, 17)])
        dob = TODAY_ANCHOR - timedelta(days=age * 365 + rng.randint(0, 364))
        state = "OR" if rng.random() < 0.65 else "CO"
        area, tz, city, zip3 = AREA[state]
        patient = dict(
            legal_first_name=first, legal_last_name=fake.last_name(), date_of_birth=dob, sex_for_claims=sex,
            preferred_name=fake.first_name() if rng.random() < 0.08 else "", pronouns=rng.choice(PRONOUNS),
            address_line1=fake.street_address(), city=city, state=state, postal_code=f"{zip3}{rng.randint(10, 99)}",
            phone_mobile=_phone(rng, area), email=f"patient{i:05d}@example.com", time_zone=tz,
            preferred_language="es" if rng.random() < 0.12 else "en",
            preferred_channel=rng.choice(["email", "sms", "sms", "email", "phone"]),
            consent_sms=rng.random() < 0.7, consent_email=rng.random() < 0.85, has_hsa_fsa=rng.random() < 0.3,
        )
        coverages: list[dict] = []
        roll = rng.random()
        start = date(2026, 1, 1) if rng.random() < 0.8 else date(2025, rng.randint(1, 12), 1)
        member = f"{i:07d}"
        if age >= 65 and roll > 0.15:
            payer = "02402" if rng.random() < 0.6 else "MA771"
            coverages.append(dict(payer_id=payer, member_id=f"1EG4TE{i:05d}", priority=1,
                                  effective_date=start, relationship=Relationship.SELF, plan_name=""))
            if payer == "02402" and rng.random() < 0.5:
                coverages.append(dict(payer_id=rng.choice(commercial), member_id=f"SUP{member}", priority=2,
                                      effective_date=start, relationship=Relationship.SELF, plan_name="Medigap"))
        elif roll < 0.25:
            pass  # self-pay
        elif roll < 0.35:
            coverages.append(dict(payer_id="OROHP" if state == "OR" else "RMHP4", member_id=f"MCD{member}", priority=1,
                                  effective_date=start, relationship=Relationship.SELF, plan_name=""))
        else:
            payer = rng.choice(commercial)
            cov = dict(payer_id=payer, member_id=f"{payer[:3]}{member}", group_number=f"GRP-{rng.randint(1000, 9999)}",
                       priority=1, effective_date=start, relationship=Relationship.SELF, plan_name="PPO")
            if age < 18:
                cov.update(relationship=Relationship.CHILD, subscriber_first_name=fake.first_name(),
                           subscriber_last_name=patient["legal_last_name"],
                           subscriber_date_of_birth=dob - timedelta(days=365 * 30), member_id=f"{payer[:3]}D{member}")
            coverages.append(cov)
            if rng.random() < 0.2:
                other = rng.choice([p for p in commercial if p != payer])
                coverages.append(dict(payer_id=other, member_id=f"{other[:3]}S{member}", priority=2,
                                      effective_date=start, relationship=Relationship.SPOUSE,
                                      subscriber_first_name=fake.first_name(),
                                      subscriber_last_name=patient["legal_last_name"],
                                      subscriber_date_of_birth=dob + timedelta(days=rng.randint(-2000, 2000))))
        if rng.random() < 0.03:
            patient["phone_home"] = _phone(rng, area)
        yield patient, coverages


@transaction.atomic
def load_patients(target: int) -> tuple[int, int]:
    """Create demo patients until `target` exist from the generator; return (patients, coverages) added.

    Safe to run twice: the first `existing` generated records are skipped (the generator is deterministic).
    """
    payers = {p.payer_id: p for p in Payer.objects.all()}
    missing = [pid for pid in ("EVG01", "02402", "OROHP") if pid not in payers]
    if missing:
        raise ValueError(f"Load the demo payers first (missing {missing}).")
    existing = Patient.objects.filter(email__endswith="@example.com").count()
    batch: list[tuple[Patient, list[dict]]] = []
    for index, (fields, covs) in enumerate(generate(target)):
        if index < existing:
            continue
        batch.append((Patient(chart_number=f"tmp-demo-{index}", **fields), covs))
    created = Patient.objects.bulk_create([p for p, _ in batch], batch_size=500)
    for patient in created:
        patient.chart_number = f"P{patient.pk:06d}"
    Patient.objects.bulk_update(created, ["chart_number"], batch_size=500)
    coverages = [
        Coverage(patient=patient, payer=payers[c["payer_id"]], **{k: v for k, v in c.items() if k != "payer_id"})
        for patient, (_, covs) in zip(created, batch, strict=True)
        for c in covs
    ]
    Coverage.objects.bulk_create(coverages, batch_size=1000)
    return len(created), len(coverages)


