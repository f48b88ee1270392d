"""Build 837 professional claims (005010X222A1) from frozen dataclasses.

Loop limits respected: 2300 <= 100 per 2000B/2000C (the subscriber loop repeats), 2400 <= 50,
HI <= 12 codes, 4 modifiers, 4 diagnosis pointers, <= 5000 claims per transaction set.
Bad inputs raise ValueError naming the claim and field.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from .envelope import EnvelopeSpec, write_interchange
from .lexer import DEFAULT_DELIMITERS, Delimiters, gc_paused
from .serializer import SegmentSpec
from .values import format_amount, format_date, npi_is_valid

VERSION = "005010X222A1"
MAX_CLAIMS_PER_HL = 100
MAX_LINES = 50
MAX_DIAGNOSES = 12
MAX_CLAIMS_PER_TRANSACTION = 5000


@dataclass(frozen=True, slots=True)
class Address:
    line1: str
    city: str
    state: str
    postal_code: str
    line2: str = ""


@dataclass(frozen=True, slots=True)
class Submitter:
    name: str
    identifier: str
    contact_name: str
    phone: str


@dataclass(frozen=True, slots=True)
class Receiver:
    name: str
    identifier: str


@dataclass(frozen=True, slots=True)
class BillingProvider:
    """An organisation billing provider (NM1*85*2)."""

    name: str
    npi: str
    tax_id: str
    address: Address
    taxonomy: str


@dataclass(frozen=True, slots=True)
class Provider:
    """A person provider (rendering NM1*82 or supervising NM1*DQ)."""

    last_name: str
    first_name: str
    npi: str
    taxonomy: str = ""


@dataclass(frozen=True, slots=True)
class Payer:
    name: str
    payer_id: str
    address: Address | None = None


@dataclass(frozen=True, slots=True)
class Subscriber:
    member_id: str
    last_name: str
    first_name: str
    birth_date: date
    gender: str
    address: Address | None = None
    group_number: str = ""
    payer_responsibility: str = "P"
    filing_indicator: str = "CI"
    middle_name: str = ""


@dataclass(frozen=True, slots=True)
class Patient:
    """A dependent patient (2000C); ``relationship`` is PAT01 (01 spouse, 19 child, ...)."""

    relationship: str
    last_name: str
    first_name: str
    birth_date: date
    gender: str
    address: Address


@dataclass(frozen=True, slots=True)
class ServiceLine:
    procedure_code: str
    charge: Decimal
    service_date: date
    units: Decimal = Decimal(1)
    modifiers: tuple[str, ...] = ()
    diagnosis_pointers: tuple[int, ...] = (1,)


@dataclass(frozen=True, slots=True)
class Claim:
    """One 2300 claim; ``diagnosis_codes`` are ICD-10-CM without the dot, principal first."""

    patient_control_number: str
    total_charge: Decimal
    place_of_service: str
    diagnosis_codes: tuple[str, ...]
    lines: tuple[ServiceLine, ...]
    frequency_code: str = "1"
    rendering_provider: Provider | None = None
    supervising_provider: Provider | None = None
    initial_treatment_date: date | None = None
    prior_authorization: str = ""


@dataclass(frozen=True, slots=True)
class ClaimGroup:
    """Claims of one patient under one subscriber/payer; ``patient`` None means the subscriber."""

    subscriber: Subscriber
    payer: Payer
    claims: tuple[Claim, ...]
    patient: Patient | None = None


@dataclass(frozen=True, slots=True)
class ClaimBatch:
    """Everything one 837P interchange carries for one billing provider."""

    submitter: Submitter
    receiver: Receiver
    billing_provider: BillingProvider
    groups: tuple[ClaimGroup, ...]
    batch_id: str
    created: datetime
    transaction_type: str = "CH"  # BHT06: CH chargeable, RP reporting


def _check_npi(npi: str, where: str) -> None:
    if not npi_is_valid(npi):
        raise ValueError(f"{where}: NPI {npi!r} fails the NPI check digit")


def _address(addr: Address) -> list[SegmentSpec]:
    return [("N3", addr.line1, addr.line2), ("N4", addr.city, addr.state, addr.postal_code)]


def _claim(claim: Claim) -> list[SegmentSpec]:
    pcn = claim.patient_control_number
    dx = claim.diagnosis_codes
    if not 0 < len(dx) <= MAX_DIAGNOSES:
        raise ValueError(f"claim {pcn}: needs 1..{MAX_DIAGNOSES} diagnosis codes, got {len(dx)}")
    if not 0 < len(claim.lines) <= MAX_LINES:
        raise ValueError(f"claim {pcn}: needs 1..{MAX_LINES} service lines, got {len(claim.lines)}")
    if sum(line.charge for line in claim.lines) != claim.total_charge:
        raise ValueError(f"claim {pcn}: total charge {claim.total_charge} != sum of line charges")
    out: list[SegmentSpec] = [(
        "CLM", pcn, format_amount(claim.total_charge), "", "",
        (claim.place_of_service, "B", claim.frequency_code), "Y", "A", "Y", "Y",
    )]
    if claim.initial_treatment_date is not None:
        out.append(("DTP", "454", "D8", format_date(claim.initial_treatment_date)))
    if claim.prior_authorization:
        out.append(("REF", "G1", claim.prior_authorization))
    out.append(("HI", *[("ABK" if i == 0 else "ABF", code.replace(".", "")) for i, code in enumerate(dx)]))
    rendering = claim.rendering_provider
    if rendering is not None:
        _check_npi(rendering.npi, f"claim {pcn} rendering provider")
        out.append(("NM1", "82", "1", rendering.last_name, rendering.first_name, "", "", "", "XX",
                    rendering.npi))
        if rendering.taxonomy:
            out.append(("PRV", "PE", "PXC", rendering.taxonomy))
    supervising = claim.supervising_provider
    if supervising is not None:
        _check_npi(supervising.npi, f"claim {pcn} supervising provider")
        out.append(("NM1", "DQ", "1", supervising.last_name, supervising.first_name, "", "", "", "XX",
                    supervising.npi))
    for n, line in enumerate(claim.lines, start=1):
        pointers = line.diagnosis_pointers
        if not 0 < len(pointers) <= 4 or any(not 0 < p <= len(dx) for p in pointers):
            raise ValueError(f"claim {pcn} line {n}: diagnosis pointers {pointers} must be 1..4 of "
                             f"1..{len(dx)}")
        if len(line.modifiers) > 4:
            raise ValueError(f"claim {pcn} line {n}: at most 4 modifiers")
        out.append(("LX", str(n)))
        out.append(("SV1", ("HC", line.procedure_code, *line.modifiers), format_amount(line.charge), "UN",
                    format_amount(line.units), "", "", tuple(str(p) for p in pointers)))
        out.append(("DTP", "472", "D8", format_date(line.service_date)))
    return out


def _chunks(groups: Sequence[ClaimGroup]) -> Iterator[ClaimGroup]:
    for group in groups:
        claims = group.claims
        if not claims:
            raise ValueError(f"subscriber {group.subscriber.member_id}: no claims")
        for k in range(0, len(claims), MAX_CLAIMS_PER_HL):
            yield ClaimGroup(group.subscriber, group.payer, claims[k:k + MAX_CLAIMS_PER_HL], group.patient)


def _group(group: ClaimGroup, hl: int) -> tuple[list[SegmentSpec], int]:
    sub, payer, patient = group.subscriber, group.payer, group.patient
    out: list[SegmentSpec] = [
        ("HL", str(hl), "1", "22", "0" if patient is None else "1"),
        ("SBR", sub.payer_responsibility, "18" if patient is None else "", sub.group_number, "", "", "", "",
         "", sub.filing_indicator),
        ("NM1", "IL", "1", sub.last_name, sub.first_name, sub.middle_name, "", "", "MI", sub.member_id),
    ]
    if sub.address is not None:
        out += _address(sub.address)
    out.append(("DMG", "D8", format_date(sub.birth_date), sub.gender))
    out.append(("NM1", "PR", "2", payer.name, "", "", "", "", "PI", payer.payer_id))
    if payer.address is not None:
        out += _address(payer.address)
    used = 1
    if patient is not None:
        out.append(("HL", str(hl + 1), str(hl), "23", "0"))
        out.append(("PAT", patient.relationship))
        out.append(("NM1", "QC", "1", patient.last_name, patient.first_name))
        out += _address(patient.address)
        out.append(("DMG", "D8", format_date(patient.birth_date), patient.gender))
        used = 2
    elif sub.address is None:
        raise ValueError(f"subscriber {sub.member_id}: address required when the subscriber is the patient")
    for claim in group.claims:
        out += _claim(claim)
    return out, used


def transaction_bodies(batch: ClaimBatch) -> list[tuple[str, list[SegmentSpec]]]:
    """Return the ST..SE bodies (without ST/SE) for ``batch``, split at 5000 claims per transaction."""
    bp = batch.billing_provider
    _check_npi(bp.npi, "billing provider")
    header_tail: list[SegmentSpec] = [
        ("NM1", "41", "2", batch.submitter.name, "", "", "", "", "46", batch.submitter.identifier),
        ("PER", "IC", batch.submitter.contact_name, "TE", batch.submitter.phone),
        ("NM1", "40", "2", batch.receiver.name, "", "", "", "", "46", batch.receiver.identifier),
        ("HL", "1", "", "20", "1"),
        ("PRV", "BI", "PXC", bp.taxonomy),
        ("NM1", "85", "2", bp.name, "", "", "", "", "XX", bp.npi),
        *_address(bp.address),
        ("REF", "EI", bp.tax_id),
    ]
    created = batch.created
    bodies: list[tuple[str, list[SegmentSpec]]] = []
    current: list[SegmentSpec] = []
    claims_in_tx, hl = 0, 2
    for chunk in _chunks(batch.groups):
        if not current or claims_in_tx + len(chunk.claims) > MAX_CLAIMS_PER_TRANSACTION:
            ref = batch.batch_id if not bodies and not current else f"{batch.batch_id}-{len(bodies) + 2}"
            if current:
                bodies.append(("837", current))
            current = [("BHT", "0019", "00", ref, created.strftime("%Y%m%d"), created.strftime("%H%M"),
                        batch.transaction_type), *header_tail]
            claims_in_tx, hl = 0, 2
        segs, used = _group(chunk, hl)
        current += segs
        hl += used
        claims_in_tx += len(chunk.claims)
    if not current:
        raise ValueError("batch has no claims")
    bodies.append(("837", current))
    return bodies


@gc_paused
def build_837p(batch: ClaimBatch, envelope: EnvelopeSpec, delimiters: Delimiters = DEFAULT_DELIMITERS,
               *, newline: bool = False) -> str:
    """Serialize ``batch`` as one 837P interchange (GS01 HC); raise ValueError on invalid input."""
    return write_interchange(envelope, "HC", VERSION, transaction_bodies(batch), delimiters, newline=newline)
