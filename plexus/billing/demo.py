"""Demo data for billing: answered eligibility checks for Maria Lopez and ~50 insured patients.

Each check goes out as a real 270 through the clearinghouse interface; a simulated payer answers
with a 271 built from realistic acupuncture and chiropractic benefits per payer, and the answer is
imported through the same path as a clearinghouse file. Deterministic and safe to run twice.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta

from plexus.billing.benefits import DEFAULT_SERVICE_TYPES
from plexus.billing.models import EligibilityCheck
from plexus.billing.services import eligibility_check_create, eligibility_checks_send
from plexus.billing.simulator import answer_270
from plexus.core.audit import Actor
from plexus.engines.x12.serializer import SegmentSpec
from plexus.patients.models import Coverage, Priority

SEED = 5271
INSURED = 50
TRACE_PREFIX = "DEMO"


def _eb(code: str, stc: str | list[str], period: str = "", amount: str = "", percent: str = "", qq: str = "",
        qty: str = "", auth: str = "", network: str = "", plan: str = "") -> SegmentSpec:
    return ("EB", code, "IND", stc, "", plan, period, amount, percent, qq, qty, auth, network)


def _visits(stc: str, total: int, used: int, period: str = "23") -> list[SegmentSpec]:
    # Limit per period and what is left (X12 RFI #2816: EB*F with VS, period 23 then 29).
    return [_eb("F", stc, period, qq="VS", qty=str(total)), _eb("F", stc, "29", qq="VS", qty=str(total - used))]


def benefits_for(payer_id: str, rng: random.Random, *, maria: bool = False) -> list[SegmentSpec]:
    """A realistic EB body for a payer; ``maria`` gives SCENARIOS.md's answer (12 acupuncture visits, 2 used)."""
    if maria:
        return [
            _eb("1", "30", plan="EVERGREEN GOLD PPO"), _eb("C", "30", "23", "1500"), _eb("C", "30", "29", "750"),
            _eb("A", "64", percent="0.2", network="Y"), *_visits("64", 12, 2),
            _eb("B", "33", "27", "25", network="Y"), *_visits("33", 20, 6),
            _eb("I", "BE"), _eb("1", "MH"), _eb("B", "98", "27", "30", network="Y"),
            _eb("G", "30", "29", "2800", network="Y"),
        ]
    deductible = rng.choice([500, 1000, 1500, 2500])
    left = rng.choice([0, deductible // 2, deductible])
    head = [_eb("C", "30", "23", str(deductible)), _eb("C", "30", "29", str(left))]
    oop = [_eb("G", "30", "29", str(rng.choice([1200, 2800, 4500])), network="Y")]
    if payer_id == "02402":  # Medicare Part B: NCD 30.3.3 acupuncture, spinal manipulation only
        return [_eb("1", "30", plan="MEDICARE PART B"), _eb("C", "30", "23", "283"),
                _eb("C", "30", "29", str(rng.choice([0, 283]))),
                _eb("A", "64", percent="0.2"), _eb("F", "64"), ("HSD", "VS", "12", "", "", "7", "90"),
                _eb("A", "33", percent="0.2"), _eb("I", "BE"), _eb("A", "MH", percent="0.2"),
                _eb("A", "98", percent="0.2")]
    if payer_id == "MA771":
        return [_eb("1", "30", plan="CASCADE MA PPO"), _eb("B", "64", "27", "20", network="Y"),
                *_visits("64", 12, rng.randint(0, 12)), _eb("B", "33", "27", "20", network="Y"),
                *_visits("33", 12, rng.randint(0, 6)), _eb("I", "BE"), _eb("1", "MH"),
                _eb("B", "98", "27", "15", network="Y"), *oop]
    if payer_id == "OROHP":
        return [_eb("1", "30", plan="OHP PLUS"), _eb("1", "64"), *_visits("64", 12, rng.randint(0, 4)),
                _eb("1", "33"), *_visits("33", 12, rng.randint(0, 4)), _eb("I", "BE"), _eb("1", "MH"),
                _eb("1", "98")]
    if payer_id == "SUMM2":  # HMO: authorisation for acupuncture and chiropractic
        return [_eb("1", "30", plan="SUMMIT HMO"), *head, _eb("B", "64", "27", "20", auth="Y", network="Y"),
                *_visits("64", 20, rng.randint(0, 8)), _eb("B", "33", "27", "20", auth="Y", network="Y"),
                *_visits("33", 30, rng.randint(0, 10)), _eb("I", "BE"), _eb("1", "MH"),
                _eb("B", "98", "27", "25", network="Y"), *oop]
    if payer_id == "PBC03":  # answers for general coverage only (TR3 minimum response)
        return [_eb("1", ["30", "1", "33", "35", "47", "86", "88", "98", "AL", "MH", "UC"], plan="BLUE CHOICE"),
                *head, _eb("B", "98", "27", "35", network="Y"), *oop]
    if payer_id == "RMHP4":
        return [_eb("1", "30", plan="ROCKY MOUNTAIN PPO"), *head, _eb("I", "64"),
                _eb("A", "33", percent="0.3", network="Y"), *_visits("33", 12, rng.randint(0, 12)), _eb("I", "BE"),
                _eb("1", "MH"), _eb("B", "98", "27", "30", network="Y"), *oop]
    # EVG01 and anything else: a PPO much like Maria's.
    return [_eb("1", "30", plan="EVERGREEN PPO"), *head, _eb("A", "64", percent="0.2", network="Y"),
            *_visits("64", 12, rng.randint(0, 12)), _eb("B", "33", "27", "25", network="Y"),
            *_visits("33", 20, rng.randint(0, 20)), _eb("I", "BE"), _eb("1", "MH"),
            _eb("B", "98", "27", "30", network="Y"), *oop]


class _SimulatedPayers:
    """A clearinghouse stand-in that answers each 270 at once with the demo benefits."""

    name = "file"

    def __init__(self, bodies: dict[str, list[SegmentSpec]], created: datetime) -> None:
        self.bodies, self.created = bodies, created

    def submit(self, x12: str, *, reference: str) -> str | None:
        return answer_270(x12, lambda member_id: self.bodies[member_id], created=self.created)


def _demo_coverages(anchor: date) -> list[Coverage]:
    base = (Coverage.objects.select_related("patient", "payer")
            .filter(priority=Priority.PRIMARY, patient__email__endswith="@example.com", effective_date__lte=anchor)
            .exclude(end_date__lt=anchor).order_by("patient_id"))
    maria = list(base.filter(patient__email="maria.lopez@example.com")[:1])
    others = list(base.exclude(patient__email="maria.lopez@example.com")[:INSURED])
    return maria + others


def load_billing_demo(*, anchor: date, scale: int = 1) -> dict[str, int]:
    """Create answered eligibility checks around ``anchor``; safe to run twice. Returns counts."""
    actor = Actor.system("cli")
    coverages = _demo_coverages(anchor)
    done = set(EligibilityCheck.objects.filter(trace_number__startswith=TRACE_PREFIX)
               .values_list("trace_number", flat=True))
    todo = [c for c in coverages if f"{TRACE_PREFIX}{c.patient.chart_number}" not in done]
    if not todo:
        return {"eligibility checks": 0}
    rng = random.Random(SEED)
    sent_at = datetime.combine(anchor - timedelta(days=1), time(16, 0), tzinfo=UTC)
    bodies: dict[str, list[SegmentSpec]] = {}
    checks = []
    for cov in todo:
        maria = cov.patient.email == "maria.lopez@example.com"
        bodies[cov.member_id] = benefits_for(cov.payer.payer_id, random.Random(rng.random()), maria=maria)
        service_date = anchor - timedelta(days=1) if maria else anchor + timedelta(days=rng.randint(0, 7))
        checks.append(eligibility_check_create(
            actor=actor, patient=cov.patient, coverage_id=cov.pk, service_types=DEFAULT_SERVICE_TYPES,
            service_date=service_date, trace_number=f"{TRACE_PREFIX}{cov.patient.chart_number}",
            created_at=sent_at,
        ))
    payers = _SimulatedPayers(bodies, sent_at.replace(tzinfo=None))
    eligibility_checks_send(actor=actor, checks=checks, transport=payers, now=sent_at)
    return {"eligibility checks": len(checks)}
