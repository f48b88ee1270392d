"""Build 837 professional claims (005010X222A1) from frozen dataclasses.

Loop limits respected: 2300 <= 100 per 2000B/2000C (the subscriber loop repeats), 2400 <= 50,
HI <= 12 codes, 4 modifiers, 4 diagnosis pointers, <= 5000 claims per transaction set.
Secondary (and tertiary) claims carry the earlier payers' adjudication in ``Claim.other_payers``:
loops 2320/2330A/2330B after the claim's provider loops and one 2430 per service line and payer,
balanced as the guide requires (charge = paid + every CAS amount, per claim and per line).
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
from .tx835 import Adjustment
from .values import format_amount, format_date, npi_is_valid

VERSION = "005010X222A1"
MAX_CLAIMS_PER_HL = 100
MAX_LINES = 50
MAX_DIAGNOSES = 12
MAX_CLAIMS_PER_TRANSACTION = 5000
MAX_OTHER_PAYERS = 10  # 2320 repeat
MAX_CAS_SEGMENTS = 5  # per 2320 and per 2430
CAS_TRIPLES = 6  # reason/amount/quantity triples per CAS segment
CAS_GROUPS = frozenset({"CO", "CR", "OA", "PI", "PR"})


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
class LineAdjudication:
    """One 2430: how an earlier payer adjudicated the service line at the same position.

    ``adjustments`` are CAS triples (:class:`Adjustment`, shared with the 835 parser); the line
    must balance: line charge = ``paid`` + sum of adjustment amounts.
    """

    procedure_code: str
    modifiers: tuple[str, ...]
    paid: Decimal
    units: Decimal
    adjustments: tuple[Adjustment, ...]
    adjudicated: date


@dataclass(frozen=True, slots=True)
class OtherPayer:
    """An earlier payer's adjudication reported on this claim (2320 + 2330A + 2330B [+ 2430]).

    ``lines`` is empty (claim-level adjudication only: then ``adjudicated`` is required) or one
    :class:`LineAdjudication` per service line, in order. ``responsibility`` is SBR01 of this
    payer (P primary, S secondary, ...) and ``relationship`` SBR02 (patient to ``subscriber``).
    Claim total = ``paid`` + claim adjustments + every line adjustment.
    """

    payer: Payer
    subscriber: Subscriber
    paid: Decimal
    claim_adjustments: tuple[Adjustment, ...] = ()
    lines: tuple[LineAdjudication, ...] = ()
    responsibility: str = "P"
    relationship: str = "18"
    adjudicated: date | None = None  # 2330B DTP*573, claim-level adjudication date
    remaining_liability: Decimal | None = None  # 2320 AMT*EAF


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
    other_payers: tuple[OtherPayer, ...] = ()


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


def _cas(adjustments: Sequence[Adjustment], where: str) -> list[SegmentSpec]:
    """CAS segments grouped by group code (first-seen order), at most 6 triples each."""
    by_group: dict[str, list[Adjustment]] = {}
    for adj in adjustments:
        if adj.group not in CAS_GROUPS:
            raise ValueError(f"{where}: adjustment group {adj.group!r} must be one of {sorted(CAS_GROUPS)}")
        if not adj.reason:
            raise ValueError(f"{where}: adjustment reason code missing")
        by_group.setdefault(adj.group, []).append(adj)
    out: list[SegmentSpec] = []
    for group, items in by_group.items():
        for k in range(0, len(items), CAS_TRIPLES):
            elements: list[str] = [group]
            for adj in items[k:k + CAS_TRIPLES]:
                elements += (adj.reason, format_amount(adj.amount),
                             "" if adj.quantity is None else format_amount(adj.quantity))
            out.append(("CAS", *elements))
    if len(out) > MAX_CAS_SEGMENTS:
        raise ValueError(f"{where}: adjustments need {len(out)} CAS segments, at most {MAX_CAS_SEGMENTS}")
    return out


def _coordination(claim: Claim, responsibility: str) -> tuple[list[SegmentSpec], list[list[SegmentSpec]]]:
    """Loops 2320/2330A/2330B for ``claim.other_payers`` and, per service line, its 2430 loops."""
    pcn, lines, payers = claim.patient_control_number, claim.lines, claim.other_payers
    if len(payers) > MAX_OTHER_PAYERS:
        raise ValueError(f"claim {pcn}: at most {MAX_OTHER_PAYERS} other payers, got {len(payers)}")
    seen_sequence: set[str] = {responsibility}
    seen_ids: set[str] = set()
    out: list[SegmentSpec] = []
    per_line: list[list[SegmentSpec]] = [[] for _ in lines]
    for op in payers:
        payer_id, sub = op.payer.payer_id, op.subscriber
        where = f"claim {pcn} other payer {payer_id}"
        if op.responsibility in seen_sequence:
            raise ValueError(f"{where}: responsibility {op.responsibility!r} repeats the claim's or another "
                             "payer's")
        if payer_id in seen_ids:
            raise ValueError(f"{where}: payer ID appears twice")
        seen_sequence.add(op.responsibility)
        seen_ids.add(payer_id)
        if op.paid < 0:
            raise ValueError(f"{where}: paid {op.paid} is negative")
        if op.lines and len(op.lines) != len(lines):
            raise ValueError(f"{where}: {len(op.lines)} line adjudications for {len(lines)} service lines")
        if not op.lines and op.adjudicated is None:
            raise ValueError(f"{where}: adjudication date required without line adjudications")
        adjusted = sum((adj.amount for adj in op.claim_adjustments), Decimal(0))
        for n, la in enumerate(op.lines, start=1):  # empty, or exactly one per service line
            line = lines[n - 1]
            lwhere = f"claim {pcn} line {n} other payer {payer_id}"
            if la.paid < 0:
                raise ValueError(f"{lwhere}: paid {la.paid} is negative")
            if la.units < 0:
                raise ValueError(f"{lwhere}: paid units {la.units} is negative")
            if len(la.modifiers) > 4:
                raise ValueError(f"{lwhere}: at most 4 modifiers")
            line_adjusted = sum((adj.amount for adj in la.adjustments), Decimal(0))
            if la.paid + line_adjusted != line.charge:
                raise ValueError(f"{lwhere}: paid {la.paid} + adjustments {line_adjusted} != line charge "
                                 f"{line.charge}")
            adjusted += line_adjusted
            per_line[n - 1] += [
                ("SVD", payer_id, format_amount(la.paid), ("HC", la.procedure_code, *la.modifiers), "",
                 format_amount(la.units)),
                *_cas(la.adjustments, lwhere),
                ("DTP", "573", "D8", format_date(la.adjudicated)),
            ]
        if op.paid + adjusted != claim.total_charge:
            raise ValueError(f"{where}: paid {op.paid} + adjustments {adjusted} != total charge "
                             f"{claim.total_charge}")
        out.append(("SBR", op.responsibility, op.relationship, sub.group_number, "", "", "", "", "",
                    sub.filing_indicator))
        out += _cas(op.claim_adjustments, where)
        out.append(("AMT", "D", format_amount(op.paid)))
        if op.remaining_liability is not None:
            if op.remaining_liability < 0:
                raise ValueError(f"{where}: remaining liability {op.remaining_liability} is negative")
            out.append(("AMT", "EAF", format_amount(op.remaining_liability)))
        out.append(("OI", "", "", "Y", "", "", "Y"))
        out.append(("NM1", "IL", "1", sub.last_name, sub.first_name, sub.middle_name, "", "", "MI",
                    sub.member_id))
        if sub.address is not None:
            out += _address(sub.address)
        out.append(("NM1", "PR", "2", op.payer.name, "", "", "", "", "PI", payer_id))
        if op.payer.address is not None:
            out += _address(op.payer.address)
        if op.adjudicated is not None:
            out.append(("DTP", "573", "D8", format_date(op.adjudicated)))
    return out, per_line


def _claim(claim: Claim, responsibility: str = "P") -> list[SegmentSpec]:
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
    line_cob: list[list[SegmentSpec]] | None = None
    if claim.other_payers:
        cob, line_cob = _coordination(claim, responsibility)
        out += cob
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
        if line_cob is not None:
            out += line_cob[n - 1]
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
        out += _claim(claim, sub.payer_responsibility)
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
