"""A simulated payer behind a clearinghouse: answer a 270 with a 271 (005010X279A1).

Used by the demo data, the tests' local HTTP clearinghouse and local development. Benefits are
EB/HSD bodies like the validated sample in STANDARDS.md §1.1; nothing here touches the database.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from plexus.engines.x12 import EnvelopeSpec, parse_interchange, write_interchange
from plexus.engines.x12.serializer import SegmentSpec

# The validated 271 EB body of STANDARDS.md §1.1: active GOLD PPO, deductible 1500 (750 left),
# acupuncture 20% with 12 visits per 90 days, chiropractic $25 copay with 20 a year (14 left),
# massage not covered, mental health active, office visit $30 copay, $2,800 out-of-pocket left.
STANDARDS_BODY: list[SegmentSpec] = [
    ("EB", "1", "IND", "30", "", "GOLD PPO"),
    ("EB", "C", "IND", "30", "", "", "23", "1500"),
    ("EB", "C", "IND", "30", "", "", "29", "750"),
    ("EB", "A", "IND", "64", "", "", "", "", "0.2", "", "", "", "Y"),
    ("EB", "F", "IND", "64"),
    ("HSD", "VS", "12", "", "", "7", "90"),
    ("EB", "B", "IND", "33", "", "", "27", "25", "", "", "", "", "Y"),
    ("EB", "F", "IND", "33", "", "", "23", "", "", "VS", "20"),
    ("EB", "F", "IND", "33", "", "", "29", "", "", "VS", "14"),
    ("EB", "I", "IND", "BE"),
    ("EB", "1", "IND", "MH"),
    ("EB", "B", "IND", "98", "", "", "27", "30", "", "", "", "", "Y"),
    ("EB", "G", "IND", "30", "", "", "29", "2800", "", "", "", "", "Y"),
]

# A payer that ignores specific service types and answers for general coverage only (TR3 §1.4.7
# minimum response: 1, 33, 35, 47, 86, 88, 98, AL, MH, UC with EB01 1-5).
GENERAL_ONLY_BODY: list[SegmentSpec] = [
    ("EB", "1", "IND", ["30", "1", "33", "35", "47", "86", "88", "98", "AL", "MH", "UC"], "", "CHOICE PLAN"),
    ("EB", "C", "IND", "30", "", "", "23", "2000"),
    ("EB", "C", "IND", "30", "", "", "29", "2000"),
    ("EB", "B", "IND", "98", "", "", "27", "40", "", "", "", "", "Y"),
]

Benefits = Callable[[str], list[SegmentSpec]]  # member id -> EB body


def _members(text: str) -> list[dict]:
    """Read each inquiry of a 270: trace, payer, receiver, subscriber and dependent names."""
    out: list[dict] = []
    payer = receiver = ("", "")
    cur: dict | None = None
    for tx in parse_interchange(text).transactions():
        for seg in tx.body:
            sid = seg.seg_id
            if sid == "HL" and seg.element(3) == "22":
                cur = {"trace": "", "sub": None, "dep": None, "payer": payer, "receiver": receiver}
                out.append(cur)
            elif sid == "NM1" and seg.element(1) == "PR":
                payer = (seg.element(3), seg.element(9))
            elif sid == "NM1" and seg.element(1) == "1P":
                receiver = (seg.element(3), seg.element(9))
            elif cur is None:
                continue
            elif sid == "TRN":
                cur["trace"] = seg.element(2)
            elif sid == "NM1" and seg.element(1) == "IL":
                cur["sub"] = [seg.element(3), seg.element(4), seg.element(9), "", ""]
            elif sid == "NM1" and seg.element(1) == "03":
                cur["dep"] = [seg.element(3), seg.element(4), "", "", ""]
            elif sid == "DMG":
                who = cur["dep"] if cur["dep"] is not None else cur["sub"]
                who[3], who[4] = seg.element(2), seg.element(3)
    return out


def answer_270(text: str, benefits: Benefits, *, created: datetime, control_number: int = 1,
               unknown_members: Sequence[str] = ()) -> str:
    """Return a 271 interchange answering every inquiry in the 270 ``text``.

    ``benefits(member_id)`` gives the EB body; members in ``unknown_members`` get AAA*N**75
    (subscriber not found) instead.
    """
    body: list[SegmentSpec] = [("BHT", "0022", "11", f"ANS{control_number}", created.strftime("%Y%m%d"),
                                created.strftime("%H%M"))]
    hl = 0
    for m in _members(text):
        sub, dep = m["sub"], m["dep"]
        body += [("HL", str(hl + 1), "", "20", "1"), ("NM1", "PR", "2", m["payer"][0], "", "", "", "", "PI",
                                                       m["payer"][1]),
                 ("HL", str(hl + 2), str(hl + 1), "21", "1"),
                 ("NM1", "1P", "2", m["receiver"][0], "", "", "", "", "XX", m["receiver"][1]),
                 ("HL", str(hl + 3), str(hl + 2), "22", "1" if dep else "0")]
        member_segments: list[SegmentSpec] = [("TRN", "2", m["trace"], "9PLEXUSSIM")]
        sub_nm1: SegmentSpec = ("NM1", "IL", "1", sub[0], sub[1], "", "", "", "MI", sub[2])
        eb = ([("AAA", "N", "", "75", "C")] if sub[2] in unknown_members else benefits(sub[2]))
        if dep:
            body += [sub_nm1, ("DMG", "D8", sub[3], sub[4] or "U"), ("HL", str(hl + 4), str(hl + 3), "23", "0"),
                     *member_segments, ("NM1", "03", "1", dep[0], dep[1]), ("DMG", "D8", dep[3], dep[4]), *eb]
            hl += 4
        else:
            body += [*member_segments, sub_nm1, ("DMG", "D8", sub[3], sub[4]), *eb]
            hl += 3
    spec = EnvelopeSpec("CLEARINGHOUSE", "PLEXUS", control_number, control_number, created)
    return write_interchange(spec, "HB", "005010X279A1", [("271", body)])
