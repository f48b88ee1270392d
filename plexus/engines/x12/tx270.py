"""Build 270 eligibility inquiries (005010X279A1) from frozen dataclasses."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from .envelope import EnvelopeSpec, write_interchange
from .lexer import DEFAULT_DELIMITERS, Delimiters, gc_paused
from .serializer import SegmentSpec
from .values import format_date, npi_is_valid

VERSION = "005010X279A1"


@dataclass(frozen=True, slots=True)
class InformationSource:
    """The payer asked (2100A NM1*PR); ``payer_id`` goes out with qualifier PI."""

    name: str
    payer_id: str


@dataclass(frozen=True, slots=True)
class InformationReceiver:
    """The provider asking (2100B NM1*1P); an organisation unless ``first_name`` is set."""

    name: str
    npi: str
    first_name: str = ""


@dataclass(frozen=True, slots=True)
class Member:
    """A subscriber (needs ``member_id``) or a dependent (``member_id`` may be empty)."""

    last_name: str
    first_name: str
    birth_date: date
    gender: str
    member_id: str = ""


@dataclass(frozen=True, slots=True)
class EligibilityRequest:
    """One inquiry: who is asked, for whom, for which service types (EQ01) on ``service_date``.

    ``trace_number`` comes back in the 271 TRN so the response matches the request;
    ``originator_id`` is TRN03 (10 characters, "9" + an identifier by convention).
    """

    source: InformationSource
    receiver: InformationReceiver
    subscriber: Member
    service_types: tuple[str, ...]
    trace_number: str
    service_date: date
    dependent: Member | None = None
    originator_id: str = "9PLEXUS000"


def _member(req: EligibilityRequest, member: Member, entity: str) -> list[SegmentSpec]:
    out: list[SegmentSpec] = [("TRN", "1", req.trace_number, req.originator_id)]
    if member.member_id:
        out.append(("NM1", entity, "1", member.last_name, member.first_name, "", "", "", "MI",
                    member.member_id))
    else:
        out.append(("NM1", entity, "1", member.last_name, member.first_name))
    out.append(("DMG", "D8", format_date(member.birth_date), member.gender))
    out.append(("DTP", "291", "D8", format_date(req.service_date)))
    out += [("EQ", code) for code in req.service_types]
    return out


def transaction_body(requests: Sequence[EligibilityRequest], reference: str, created: date,
                     time_hhmm: str) -> list[SegmentSpec]:
    """Return the segments between ST and SE for ``requests`` (each with its own HL chain)."""
    out: list[SegmentSpec] = [("BHT", "0022", "13", reference, format_date(created), time_hhmm)]
    hl = 0
    for req in requests:
        if not req.subscriber.member_id:
            raise ValueError(f"request {req.trace_number}: subscriber member id is required")
        if not req.service_types:
            raise ValueError(f"request {req.trace_number}: at least one service type code is required")
        if not npi_is_valid(req.receiver.npi):
            raise ValueError(f"request {req.trace_number}: receiver NPI {req.receiver.npi!r} is invalid")
        dependent = req.dependent
        r = req.receiver
        out.append(("HL", str(hl + 1), "", "20", "1"))
        out.append(("NM1", "PR", "2", req.source.name, "", "", "", "", "PI", req.source.payer_id))
        out.append(("HL", str(hl + 2), str(hl + 1), "21", "1"))
        out.append(("NM1", "1P", "1" if r.first_name else "2", r.name, r.first_name, "", "", "", "XX", r.npi))
        out.append(("HL", str(hl + 3), str(hl + 2), "22", "0" if dependent is None else "1"))
        if dependent is None:
            out += _member(req, req.subscriber, "IL")
            hl += 3
        else:
            sub = req.subscriber
            out.append(("NM1", "IL", "1", sub.last_name, sub.first_name, "", "", "", "MI", sub.member_id))
            out.append(("DMG", "D8", format_date(sub.birth_date), sub.gender))
            out.append(("HL", str(hl + 4), str(hl + 3), "23", "0"))
            out += _member(req, dependent, "03")
            hl += 4
    return out


@gc_paused
def build_270(requests: Sequence[EligibilityRequest], envelope: EnvelopeSpec, reference: str,
              delimiters: Delimiters = DEFAULT_DELIMITERS, *, newline: bool = False) -> str:
    """Serialize ``requests`` as one 270 transaction in one interchange (GS01 HS).

    ``reference`` is BHT03. Raise ValueError when a request is incomplete.
    """
    if not requests:
        raise ValueError("no eligibility requests")
    created = envelope.created
    body = transaction_body(requests, reference, created.date(), created.strftime("%H%M"))
    return write_interchange(envelope, "HS", VERSION, [("270", body)], delimiters, newline=newline)
