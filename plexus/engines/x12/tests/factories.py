"""Deterministic sample data for tests and benchmarks (837P batches, 835s, 271s)."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from decimal import Decimal

from plexus.engines.x12.envelope import EnvelopeSpec, write_interchange
from plexus.engines.x12.lexer import DEFAULT_DELIMITERS, Delimiters
from plexus.engines.x12.serializer import SegmentSpec
from plexus.engines.x12.tx837p import (
    Address,
    BillingProvider,
    Claim,
    ClaimBatch,
    ClaimGroup,
    Payer,
    Provider,
    Receiver,
    ServiceLine,
    Submitter,
    Subscriber,
)

CREATED = datetime(2025, 1, 15, 9, 30)
BILLING = BillingProvider("HARMONY INTEGRATIVE CLINIC", "1456789019", "931234567",
                          Address("100 MAIN ST", "PORTLAND", "OR", "972041234"), "261QM1300X")
SUBMITTER = Submitter("HARMONY INTEGRATIVE CLINIC", "SUB12345", "BILLING OFFICE", "5035550100")
RECEIVER = Receiver("ACME CLEARINGHOUSE", "CH99999")
PAYER = Payer("EXAMPLE HEALTH PLAN", "12345")
ACUPUNCTURIST = Provider("LEE", "ANNA", "1654321094", "171100000X")
PHYSICIAN = Provider("SMITH", "JOHN", "1987654328")
CHIROPRACTOR = Provider("PATEL", "RAVI", "1234567893", "111N00000X")
DX = ("M5450", "G8929", "M9903", "M542", "R51", "F419", "M6283", "G4700", "M25511", "M79604", "R5383", "Z733")
CODES = (("99213", ("25",), Decimal("110")), ("97810", (), Decimal("75")), ("97811", (), Decimal("50")),
         ("98941", ("AT",), Decimal("110")), ("97140", ("GP", "59"), Decimal("65.50")))


def envelope(icn: int = 123, **kw: object) -> EnvelopeSpec:
    defaults: dict = {"usage": "T", "ack_requested": "1"}
    defaults.update(kw)
    return EnvelopeSpec("CLINICSUBMIT", "CLEARINGHOUSE", icn, icn, CREATED, **defaults)


def random_claim(rng: random.Random, n: int) -> Claim:
    day = date(2025, 1, 2) + timedelta(days=rng.randrange(300))
    lines = []
    for _ in range(rng.randint(1, 4)):
        code, mods, charge = CODES[rng.randrange(len(CODES))]
        lines.append(ServiceLine(code, charge, day, Decimal(1), mods, (1,)))
    chiro = any(line.procedure_code == "98941" for line in lines)
    return Claim(
        f"PCN{n:08d}", sum((line.charge for line in lines), Decimal(0)), "11", DX[: rng.randint(1, 4)],
        tuple(lines), rendering_provider=CHIROPRACTOR if chiro else ACUPUNCTURIST,
        supervising_provider=None if chiro else PHYSICIAN,
        initial_treatment_date=day - timedelta(days=30) if chiro else None,
        prior_authorization=f"AUTH{n}" if n % 7 == 0 else "",
    )


def random_batch(n_claims: int, seed: int = 1, claims_per_subscriber: int = 3) -> ClaimBatch:
    rng = random.Random(seed)
    groups = []
    for k in range(0, n_claims, claims_per_subscriber):
        sub = Subscriber(f"MEM{k:09d}", f"LAST{k}", "PAT", date(1950 + k % 50, 1 + k % 12, 1 + k % 28),
                         "FM"[k % 2], Address(f"{k} OAK AVE", "PORTLAND", "OR", "97205"), "GRP001")
        claims = tuple(random_claim(rng, n) for n in range(k, min(k + claims_per_subscriber, n_claims)))
        groups.append(ClaimGroup(sub, PAYER, claims))
    return ClaimBatch(SUBMITTER, RECEIVER, BILLING, tuple(groups), "BATCH0001", CREATED)


def make_835(n_claims: int, seed: int = 2, delimiters: Delimiters = DEFAULT_DELIMITERS) -> str:
    """An 835 (one transaction) paying ``n_claims`` claims with CAS, SVC, LQ and a PLB."""
    rng = random.Random(seed)
    body: list[SegmentSpec] = [
        ("BPR", "I", "0", "C", "ACH", "CCP", "01", "999999992", "DA", "123456", "1512345678", "", "01",
         "999988880", "DA", "98765", "20250305"),
        ("TRN", "1", "12345", "1512345678"), ("DTM", "405", "20250301"),
        ("N1", "PR", "EXAMPLE HEALTH PLAN"), ("N3", "1 PAYER WAY"), ("N4", "HARTFORD", "CT", "06101"),
        ("PER", "BL", "PROVIDER SERVICES", "TE", "8005551212"),
        ("N1", "PE", "HARMONY INTEGRATIVE CLINIC", "XX", "1456789019"), ("REF", "TJ", "931234567"),
        ("LX", "1"),
    ]
    total = Decimal(0)
    for n in range(n_claims):
        lines = [CODES[rng.randrange(len(CODES))] for _ in range(rng.randint(1, 3))]
        charge = sum((c for _, _, c in lines), Decimal(0))
        denied = rng.random() < 0.1
        copay = Decimal(0) if denied else Decimal(rng.choice((0, 10, 25)))
        paid_lines = [Decimal(0) if denied else (c * Decimal("0.8")).quantize(Decimal("0.01"))
                      for _, _, c in lines]
        paid = sum(paid_lines, Decimal(0)) - copay
        total += paid
        body.append(("CLP", f"PCN{n:08d}", "4" if denied else "1", str(charge), str(paid), str(copay), "12",
                     f"9406055{n:07d}"))
        if copay:
            body.append(("CAS", "PR", "3", str(copay)))
        body.append(("NM1", "QC", "1", f"LAST{n}", "PAT", "", "", "", "MI", f"MEM{n:09d}"))
        for (code, mods, c), p in zip(lines, paid_lines, strict=True):
            body.append(("SVC", ("HC", code, *mods), str(c), str(p), "", "1"))
            body.append(("DTM", "472", "20250210"))
            if denied:
                body.append(("CAS", "CO", "50", str(c)))
                body.append(("LQ", "HE", "N115"))
            else:
                body.append(("CAS", "CO", "45", str(c - p)))
    body.append(("PLB", "1456789019", "20251231", ("CV", "CP"), "-1.27"))
    body[0] = (*body[0][:2], str(total + Decimal("1.27")), *body[0][3:])
    spec = EnvelopeSpec("EXAMPLEPAYER", "CLINICSUBMIT", 456, 456, CREATED)
    return write_interchange(spec, "HP", "005010X221A1", [("835", body)], delimiters, implementation="")


def make_271(n: int, seed: int = 3) -> str:
    """A one-subscriber 271 with the STANDARDS.md benefits (trace number TRACE<n>)."""
    rng = random.Random(seed * 1_000_003 + n)
    remaining = rng.randint(0, 20)
    body: list[SegmentSpec] = [
        ("BHT", "0022", "11", f"ELIG{n}", "20250115", "0931"),
        ("HL", "1", "", "20", "1"), ("NM1", "PR", "2", "EXAMPLE HEALTH PLAN", "", "", "", "", "PI", "12345"),
        ("HL", "2", "1", "21", "1"),
        ("NM1", "1P", "2", "HARMONY INTEGRATIVE CLINIC", "", "", "", "", "XX", "1456789019"),
        ("HL", "3", "2", "22", "0"), ("TRN", "2", f"TRACE{n}", "9877281234"),
        ("NM1", "IL", "1", f"LAST{n}", "PAT", "", "", "", "MI", f"MEM{n:09d}"),
        ("DMG", "D8", "19800214", "F"), ("DTP", "346", "D8", "20250101"),
        ("EB", "1", "IND", "30", "", "GOLD PPO"), ("EB", "C", "IND", "30", "", "", "23", "1500"),
        ("EB", "A", "IND", "64", "", "", "", "", "0.2", "", "", "", "Y"), ("EB", "F", "IND", "64"),
        ("HSD", "VS", "12", "", "", "7", "90"),
        ("EB", "B", "IND", "33", "", "", "27", "25", "", "", "", "", "Y"),
        ("EB", "F", "IND", "33", "", "", "29", "", "", "VS", str(remaining)),
        ("EB", "B", "", ["1", "33", "35", "47", "86", "88", "98", "AL", "MH", "UC"], "HM", "GOLD 123 PLAN",
         "27", "10.00", "", "", "", "", "Y"),
        ("MSG", "COPAY WAIVED FOR PREVENTIVE VISITS"), ("EB", "I", "IND", "BE"),
    ]
    spec = EnvelopeSpec("CLEARINGHOUSE", "CLINICSUBMIT", n + 1, n + 1, CREATED)
    return write_interchange(spec, "HB", "005010X279A1", [("271", body)])
