"""A simulated clearinghouse and payer for claims: read an 837P as a payer would and answer with a
999 (syntax accepted), a 277CA (claims accepted into adjudication) and an 835 (payment).

Used by the demo data (synthetic 835s for the demo claims), the tests and local development. It
reads only the X12 it is given; nothing here touches the database. The adjudication policy is
simple and explicit: the payer allows ``allowed_ratio`` of the charge (CO-45 for the rest), the
patient owes ``coinsurance`` of the allowed amount (PR-2), and codes in ``denied_codes`` are
denied as non-covered (CO-96 with remark N130).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from plexus.engines.x12 import EnvelopeSpec, parse_interchange, write_interchange
from plexus.engines.x12.serializer import SegmentSpec

CENT = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class Policy:
    allowed_ratio: Decimal = Decimal("0.80")
    coinsurance: Decimal = Decimal("0.20")
    denied_codes: frozenset[str] = frozenset({"97124"})


@dataclass
class _Line:
    code: str
    modifiers: tuple[str, ...]
    charge: Decimal
    units: str
    service_date: str


@dataclass
class _Claim:
    pcn: str
    charge: Decimal
    last: str
    first: str
    member_id: str
    lines: list[_Line] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Answers:
    ack_999: str
    ack_277ca: str
    remit_835: str


def _read(text: str) -> tuple[str, str, list[tuple[str, list[_Claim]]], tuple[str, str]]:
    """Return (GS06, billing NPI, [(ST02, claims)], (payer name, payer id)) of an 837P."""
    interchange = parse_interchange(text)
    gs06, npi, payer = "", "", ("", "")
    txs: list[tuple[str, list[_Claim]]] = []
    for group in interchange.groups:
        gs06 = group.control_number
        for tx in group.transactions:
            claims: list[_Claim] = []
            sub = ("", "", "")
            pat: tuple[str, str] | None = None
            for seg in tx.body:
                sid, e = seg.seg_id, seg.element
                if sid == "NM1" and e(1) == "85":
                    npi = e(9)
                elif sid == "NM1" and e(1) == "IL":
                    sub, pat = (e(3), e(4), e(9)), None
                elif sid == "NM1" and e(1) == "QC":
                    pat = (e(3), e(4))
                elif sid == "NM1" and e(1) == "PR":
                    payer = (e(3), e(9))
                elif sid == "CLM":
                    last, first = pat or sub[:2]
                    claims.append(_Claim(e(1), Decimal(e(2)), last, first, sub[2]))
                elif sid == "SV1":
                    comps = seg.components(1)
                    claims[-1].lines.append(_Line(comps[1], tuple(c for c in comps[2:] if c), Decimal(e(2)), e(4),
                                                  ""))
                elif sid == "DTP" and e(1) == "472":
                    claims[-1].lines[-1].service_date = e(3)
            txs.append((tx.control_number, claims))
    return gs06, npi, txs, payer


def _money(value: Decimal) -> str:
    return format(value.quantize(CENT, ROUND_HALF_UP), "f")


def _ack_999(gs06: str, txs, created: datetime, control: int) -> str:
    body: list[SegmentSpec] = [("AK1", "HC", gs06, "005010X222A1")]
    for st02, _ in txs:
        body += [("AK2", "837", st02, "005010X222A1"), ("IK5", "A")]
    body.append(("AK9", "A", str(len(txs)), str(len(txs)), str(len(txs))))
    spec = EnvelopeSpec("CLEARINGHOUSE", "PLEXUS", control, control, created)
    return write_interchange(spec, "FA", "005010X231A1", [("999", body)])


def _ack_277ca(claims: list[_Claim], payer: tuple[str, str], npi: str, created: datetime, control: int) -> str:
    day = created.strftime("%Y%m%d")
    total = _money(sum((c.charge for c in claims), Decimal(0)))
    body: list[SegmentSpec] = [
        ("BHT", "0085", "08", f"ACK{control}", day, created.strftime("%H%M"), "TH"),
        ("HL", "1", "", "20", "1"), ("NM1", "PR", "2", payer[0], "", "", "", "", "PI", payer[1]),
        ("TRN", "1", f"ACK{control}"), ("DTP", "050", "D8", day), ("DTP", "009", "D8", day),
        ("HL", "2", "1", "21", "1"), ("NM1", "41", "2", "PLEXUS", "", "", "", "", "46", "PLEXUS"),
        ("TRN", "2", f"BATCH{control}"), ("STC", ("A1", "20"), day, "WQ", total),
        ("QTY", "90", str(len(claims))), ("AMT", "YU", total),
        ("HL", "3", "2", "19", "1"), ("NM1", "85", "2", "BILLING PROVIDER", "", "", "", "", "XX", npi),
        ("TRN", "1", "0"), ("STC", ("A1", "20"), "", "WQ", total),
    ]
    hl = 4
    for n, c in enumerate(claims, start=1):
        dates = sorted(li.service_date for li in c.lines)
        body += [("HL", str(hl), "3", "PT"), ("NM1", "QC", "1", c.last, c.first, "", "", "", "MI", c.member_id),
                 ("TRN", "2", c.pcn), ("STC", ("A2", "20", "PR"), day, "WQ", _money(c.charge)),
                 ("REF", "1K", f"{created:%y%j}{control:04d}{n:05d}"),
                 ("DTP", "472", "RD8", f"{dates[0]}-{dates[-1]}")]
        hl += 1
    spec = EnvelopeSpec("CLEARINGHOUSE", "PLEXUS", control, control, created)
    return write_interchange(spec, "HN", "005010X214", [("277", body)])


def _remit_835(claims: list[_Claim], payer: tuple[str, str], npi: str, created: datetime, control: int,
               policy: Policy) -> str:
    day = created.strftime("%Y%m%d")
    claim_segments: list[SegmentSpec] = []
    total = Decimal(0)
    for n, c in enumerate(claims, start=1):
        lines: list[SegmentSpec] = []
        paid_total = pr_total = Decimal(0)
        all_denied = True
        for li in c.lines:
            if li.code in policy.denied_codes:
                lines += [("SVC", ("HC", li.code, *li.modifiers), _money(li.charge), "0.00", "", li.units),
                          ("DTM", "472", li.service_date), ("CAS", "CO", "96", _money(li.charge)),
                          ("LQ", "HE", "N130")]
                continue
            all_denied = False
            allowed = (li.charge * policy.allowed_ratio).quantize(CENT, ROUND_HALF_UP)
            pr = (allowed * policy.coinsurance).quantize(CENT, ROUND_HALF_UP)
            paid = allowed - pr
            paid_total += paid
            pr_total += pr
            lines += [("SVC", ("HC", li.code, *li.modifiers), _money(li.charge), _money(paid), "", li.units),
                      ("DTM", "472", li.service_date)]
            adj = [("CO", "45", li.charge - allowed), ("PR", "2", pr)]
            for group in ("CO", "PR"):
                items = [(reason, amt) for g, reason, amt in adj if g == group and amt]
                if items:
                    lines.append(("CAS", group, *[x for reason, amt in items for x in (reason, _money(amt))]))
        status = "4" if all_denied else "1"
        claim_segments += [
            ("CLP", c.pcn, status, _money(c.charge), _money(paid_total), _money(pr_total), "12",
             f"{created:%y%j}{control:04d}{n:05d}"),
            ("NM1", "QC", "1", c.last, c.first, "", "", "", "MI", c.member_id), *lines,
        ]
        total += paid_total
    body: list[SegmentSpec] = [
        ("BPR", "I", _money(total), "C", "ACH", "CCP", "01", "999999992", "DA", "123456", "1512345678", "", "01",
         "999988880", "DA", "98765", day),
        ("TRN", "1", f"EFT{control:09d}", "1512345678"), ("DTM", "405", day),
        ("N1", "PR", payer[0]), ("N3", "1 PAYER WAY"), ("N4", "PORTLAND", "OR", "97204"),
        ("PER", "BL", "PROVIDER SERVICES", "TE", "8005551212"),
        ("N1", "PE", "BILLING PROVIDER", "XX", npi), ("LX", "1"), *claim_segments,
    ]
    spec = EnvelopeSpec("PAYER", "PLEXUS", control, control, created)
    return write_interchange(spec, "HP", "005010X221A1", [("835", body)], implementation="")


def adjudicate(text_837: str, *, created: datetime, control_number: int = 1, policy: Policy = Policy()) -> Answers:
    """Answer one 837P interchange with a 999, a 277CA and an 835 (one payment for all its claims)."""
    gs06, npi, txs, payer = _read(text_837)
    claims = [c for _, cs in txs for c in cs]
    return Answers(_ack_999(gs06, txs, created, control_number),
                   _ack_277ca(claims, payer, npi, created, control_number),
                   _remit_835(claims, payer, npi, created, control_number, policy))


__all__ = ["Answers", "Policy", "adjudicate"]
