"""Map between billing models and the pure X12 engine: 270 requests out, file type detection in."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from plexus.billing.clearinghouse import interchange_ids
from plexus.billing.models import EligibilityCheck
from plexus.core.errors import FieldError, validation_error
from plexus.core.models import Practice
from plexus.engines.x12 import (
    EligibilityRequest,
    EnvelopeSpec,
    InformationReceiver,
    InformationSource,
    Member,
    X12Error,
    build_270,
    parse_interchanges,
    serialize,
    tokenize,
)
from plexus.patients.models import Relationship

# ST01 (and GS08 for 277CA) -> the name we use; the types Plexus imports.
SUPPORTED = frozenset({"271", "999", "277CA", "835"})
KNOWN = {"271": "271", "999": "999", "277": "277CA", "835": "835", "270": "270", "837": "837P"}


def _x12_name(text: str) -> str:
    """X12 names are upper-case A-Z, 0-9 and spaces; drop anything else (delimiters included)."""
    return "".join(ch for ch in text.upper() if ch.isalnum() or ch == " ").strip()[:60]


def request_for(check: EligibilityCheck, practice: Practice) -> EligibilityRequest:
    """Build the engine request for one check (subscriber, or subscriber + dependent).

    Raise a 422 ApplicationError when the coverage lacks what a 270 needs.
    """
    cov, patient, payer = check.coverage, check.patient, check.coverage.payer
    me = Member(_x12_name(patient.legal_last_name), _x12_name(patient.legal_first_name), patient.date_of_birth,
                patient.sex_for_claims, cov.member_id)
    dependent = None
    subscriber = me
    if cov.relationship != Relationship.SELF:
        if not (cov.subscriber_last_name and cov.subscriber_first_name and cov.subscriber_date_of_birth):
            raise validation_error([FieldError(
                "coverage_id", "The subscriber's name and date of birth are needed to ask about a dependent.")])
        subscriber = Member(_x12_name(cov.subscriber_last_name), _x12_name(cov.subscriber_first_name),
                            cov.subscriber_date_of_birth, "U", cov.member_id)
        dependent = Member(me.last_name, me.first_name, me.birth_date, me.gender)
    # 2100A information source = payer, 2100B information receiver = the practice (005010X279A1).
    return EligibilityRequest(
        source=InformationSource(_x12_name(payer.name), payer.payer_id),
        receiver=InformationReceiver(_x12_name(practice.legal_name), practice.group_npi),
        subscriber=subscriber, dependent=dependent, service_types=tuple(check.service_types),
        trace_number=check.trace_number, service_date=check.service_date,
    )


def build_batch_270(checks: Sequence[EligibilityCheck], practice: Practice, *, created: datetime,
                    control_number: int, usage: str = "P") -> str:
    """Serialize ``checks`` (all for one payer) as one 270 interchange."""
    sender, receiver = interchange_ids(practice_npi=practice.group_npi,
                                       payer_id=checks[0].coverage.payer.payer_id)
    icn = control_number % 999_999_999 or 1
    spec = EnvelopeSpec(sender, receiver, icn, icn, created, usage=usage)
    requests = [request_for(c, practice) for c in checks]
    try:
        return build_270(requests, spec, reference=f"PLX{icn:09d}")
    except ValueError as exc:
        raise validation_error([FieldError("coverage_id", str(exc))]) from exc


def detect_type(text: str) -> str:
    """Return the transaction type of an X12 file (271, 999, 277CA, 835, ...).

    Raise X12Error for malformed envelopes, and for a file mixing types.
    """
    found: set[str] = set()
    first = None
    for interchange in parse_interchanges(text):
        for tx in interchange.transactions():
            found.add(KNOWN.get(tx.set_id, tx.set_id))
            first = first or tx
    if not found or first is None:
        raise X12Error("the file holds no transaction sets", segment_index=0)
    if len(found) > 1:
        raise first.segments[0].error(f"one file must hold one transaction type, found {sorted(found)}", 1)
    return found.pop()


def member_excerpt(text: str, trace: str) -> str:
    """Return the 2000C (and 2000D) segments carrying ``trace`` from a multi-patient 270 or 271.

    A batch answer names many patients; each check keeps only its own patient's part (minimum
    necessary, HIPAA 164.502(b)), one segment per line. Return "" when the trace is not found.
    """
    delims, segs = tokenize(text)
    at = next((i for i, s in enumerate(segs) if s.seg_id == "TRN" and s.element(2) == trace), None)
    if at is None:
        return ""
    start = next(i for i in range(at, -1, -1) if segs[i].seg_id == "HL" and segs[i].element(3) == "22")
    end = next((i for i in range(at + 1, len(segs))
                if segs[i].seg_id in ("SE", "ST", "GE", "IEA") or (segs[i].seg_id == "HL"
                                                                    and segs[i].element(3) != "23")), len(segs))
    return serialize(segs[start:end], delims, newline=True)
