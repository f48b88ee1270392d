"""Turn a parsed 271 into a plain benefits summary per service type (pure: no Django, no clock).

EB codes, time periods and HSD qualifiers follow 005010X279A1 (STANDARDS.md §1.1). Many payers
answer only for general coverage (`30`) when asked about a specific service type: the summary
says so instead of pretending the answer was specific.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from plexus.engines.x12 import Benefit, EligibilityResponse

# Service types the practice asks about (STANDARDS.md §1.1).
SERVICE_TYPES: dict[str, str] = {
    "30": "General coverage",
    "33": "Chiropractic",
    "64": "Acupuncture",
    "BE": "Massage",
    "MH": "Mental health",
    "98": "Office visit",
}
DEFAULT_SERVICE_TYPES: tuple[str, ...] = tuple(SERVICE_TYPES)

# Which service type a procedure code's benefits are reported under (for limits and authorisations).
_STC_BY_CODE = {
    **dict.fromkeys(("97810", "97811", "97813", "97814", "20560", "20561"), "64"),
    **dict.fromkeys(("98940", "98941", "98942", "98943"), "33"),
    **dict.fromkeys(("97124", "97140"), "BE"),
}


def service_type_for(procedure_code: str) -> str:
    """Return the 270/271 service type code for a procedure code ("30" general when none is specific)."""
    code = procedure_code.strip().upper()
    if code in _STC_BY_CODE:
        return _STC_BY_CODE[code]
    if code.startswith("908") or code.startswith("9079"):
        return "MH"
    if code.startswith("992"):
        return "98"
    return GENERAL
GENERAL = "30"

# EB01 benefit codes (element 1390).
ACTIVE_CODES = frozenset({"1", "2", "3", "4", "5"})
INACTIVE = "6"
COINSURANCE, COPAY, DEDUCTIBLE, LIMITATION, OUT_OF_POCKET, UNLIMITED, NON_COVERED = "A", "B", "C", "F", "G", "H", "I"
# EB06 / HSD05 time periods (element 615).
REMAINING = frozenset({"29", "33"})
PERIOD_WORDS = {
    "6": "hour", "7": "day", "13": "24 hours", "21": "year", "22": "service year", "23": "calendar year",
    "24": "year to date", "25": "contract", "26": "episode", "27": "visit", "32": "lifetime", "34": "month",
    "35": "week",
}
# AAA03 reject reasons most often seen on 271s.
REJECT_REASONS = {
    "15": "required application data missing", "41": "authorization/access restrictions",
    "42": "payer unable to respond now", "43": "invalid or missing provider identification",
    "51": "provider not on file", "56": "inappropriate date", "57": "invalid or missing date of service",
    "58": "invalid or missing date of birth", "62": "date of service not within coverage",
    "63": "date of service in the future", "64": "invalid or missing patient ID", "65": "invalid or missing patient name",
    "67": "patient not found", "71": "date of birth does not match", "72": "invalid or missing member ID",
    "73": "invalid or missing subscriber name", "75": "subscriber not found", "76": "duplicate subscriber",
    "78": "subscriber not in group or plan",
}

GREEN, AMBER, RED = "green", "amber", "red"


@dataclass(frozen=True, slots=True)
class ServiceBenefits:
    """What the payer said about one service type, with a traffic light and reasons in words."""

    service_type: str
    label: str
    specific: bool  # the payer answered for this service type itself, not only for general coverage
    active: bool | None  # None: the payer did not say
    covered: bool | None
    in_network: str  # Y, N, U, W or "" (not stated)
    copay: Decimal | None
    coinsurance_percent: Decimal | None  # 20 means 20%
    deductible_total: Decimal | None
    deductible_remaining: Decimal | None
    out_of_pocket_remaining: Decimal | None
    visits_total: int | None
    visits_used: int | None
    visits_remaining: int | None
    visit_period: str  # "calendar year", "90 days", ...
    auth_required: bool | None
    messages: tuple[str, ...]
    status: str  # green | amber | red
    headline: str  # "Acupuncture: covered, 20% coinsurance, 12 visits per 90 days"
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class BenefitsSummary:
    plan: str
    active: bool | None
    rejections: tuple[str, ...]
    services: tuple[ServiceBenefits, ...]

    @property
    def general_only(self) -> tuple[str, ...]:
        """Requested service types the payer answered only with general coverage."""
        return tuple(s.service_type for s in self.services if not s.specific and s.service_type != GENERAL)


def _money(value: Decimal) -> str:
    return f"${value:,.0f}" if value == value.to_integral_value() else f"${value:,.2f}"


def _pct(value: Decimal) -> str:
    return f"{value.normalize():f}%"


def rejection_words(reason: str, follow_up: str = "") -> str:
    words = REJECT_REASONS.get(reason, f"reason {reason}")
    return f"Payer rejected the request: {words} (AAA {reason})"


def _applies(b: Benefit, stc: str) -> bool:
    # An EB without EB03 applies to the plan as a whole, i.e. general coverage.
    return stc in b.service_types or (stc == GENERAL and not b.service_types)


def _first(rows: Iterable[Benefit], code: str, *, remaining: bool | None = None, field: str = "amount"):
    """Value of ``field`` on the first row with EB01 ``code``, preferring in-network rows."""
    matches = [b for b in rows if b.code == code and getattr(b, field) is not None
               and (remaining is None or (b.time_period in REMAINING) == remaining)]
    matches.sort(key=lambda b: b.in_network != "Y")
    return getattr(matches[0], field) if matches else None


def _visit_limit(rows: Sequence[Benefit]) -> tuple[int | None, int | None, str]:
    """Return (total, remaining, period) from EB F/H rows with VS quantities or HSD segments."""
    total = remaining = None
    period = ""
    for b in rows:
        if b.code not in (LIMITATION, UNLIMITED):
            continue
        if b.quantity_qualifier == "VS" and b.quantity is not None:
            if b.time_period in REMAINING:
                remaining = int(b.quantity)
            else:
                total = int(b.quantity)
                period = period or PERIOD_WORDS.get(b.time_period, "")
        for d in b.deliveries:
            if d.qualifier == "VS" and d.quantity is not None:
                total = int(d.quantity)
                unit = PERIOD_WORDS.get(d.time_period, "")
                if d.periods is not None and d.periods != 1 and unit:
                    period = f"{int(d.periods)} {unit}s"
                elif unit:
                    period = unit
    return total, remaining, period


def _tri(values: Iterable[str]) -> bool | None:
    values = [v for v in values if v in ("Y", "N")]
    return ("Y" in values) if values else None


def summarize_service(response: EligibilityResponse, stc: str, plan_active: bool | None) -> ServiceBenefits:
    """Summarize what ``response`` says about service type ``stc``."""
    label = SERVICE_TYPES.get(stc, f"Service type {stc}")
    own = [b for b in response.benefits if _applies(b, stc)]
    general = [b for b in response.benefits if _applies(b, GENERAL)]
    specific = bool(own) or stc == GENERAL
    rows = own if own else general
    codes = {b.code for b in rows}
    if NON_COVERED in codes and not codes & ACTIVE_CODES:
        active, covered = plan_active, False
    elif INACTIVE in codes and not codes & ACTIVE_CODES:
        active, covered = False, False
    else:
        active = True if codes & ACTIVE_CODES else plan_active
        covered = active
    copay = _first(rows, COPAY)
    coins = _first(rows, COINSURANCE, field="percent")
    coins_pct = (coins * 100).normalize() if coins is not None else None
    deductible_rows = own if any(b.code == DEDUCTIBLE for b in own) else general
    ded_total = _first(deductible_rows, DEDUCTIBLE, remaining=False)
    ded_left = _first(deductible_rows, DEDUCTIBLE, remaining=True)
    oop_rows = own if any(b.code == OUT_OF_POCKET for b in own) else general
    oop_left = _first(oop_rows, OUT_OF_POCKET, remaining=True)
    total, remaining, period = _visit_limit(own)
    used = total - remaining if total is not None and remaining is not None else None
    auth = _tri(b.auth_required for b in own)
    network = next((b.in_network for b in rows if b.in_network == "Y"), "") or next(
        (b.in_network for b in rows if b.in_network), "")
    messages = tuple(m for b in own for m in b.messages)

    parts: list[str] = []
    reasons: list[str] = []
    if covered is False:
        status = RED
        parts.append("inactive" if active is False and NON_COVERED not in codes else "not covered")
        if stc == "BE" or NON_COVERED in codes:
            parts[-1] += " — direct pay"
        reasons.append(f"{label} is not covered by this plan." if NON_COVERED in codes else "Coverage is inactive.")
    elif covered is None:
        status = AMBER
        parts.append("no answer")
        reasons.append("The payer did not say whether this is covered.")
    else:
        status = GREEN
        parts.append("covered")
        if stc == GENERAL and ded_total is not None:
            left = f" ({_money(ded_left)} left)" if ded_left is not None else ""
            parts.append(f"deductible {_money(ded_total)}{left}")
        if stc == GENERAL and oop_left is not None:
            parts.append(f"{_money(oop_left)} out-of-pocket left")
        if copay is not None:
            parts.append(f"{_money(copay)} copay")
        if coins_pct is not None:
            parts.append(f"{_pct(coins_pct)} coinsurance")
        if total is not None:
            limit = f"{total} visits per {period}" if period else f"{total} visits"
            if remaining is not None:
                limit += f" ({used} used, {remaining} left)" if used is not None else f" ({remaining} left)"
            parts.append(limit)
        elif remaining is not None:
            parts.append(f"{remaining} visits left")
        if remaining is not None and remaining <= 0:
            status = RED
            reasons.append("Visit limit reached: offer direct pay.")
        elif remaining is not None and remaining <= 2:
            status = AMBER
            reasons.append(f"Only {remaining} visits left.")
        if auth:
            status = AMBER if status == GREEN else status
            parts.append("prior authorization required")
            reasons.append("Prior authorization required before the visit.")
        if network == "N":
            status = AMBER if status == GREEN else status
            reasons.append("Out of network.")
    if not specific:
        status = AMBER if status == GREEN else status
        reasons.insert(0, "Payer answered for general coverage only.")
    headline = f"{label}: {', '.join(parts)}"
    if not specific:
        headline += " (payer answered for general coverage only)"
    return ServiceBenefits(
        stc, label, specific, active, covered, network, copay, coins_pct, ded_total, ded_left, oop_left,
        total, used, remaining, period, auth, messages, status, headline, tuple(reasons),
    )


def summarize(response: EligibilityResponse, requested: Sequence[str] = DEFAULT_SERVICE_TYPES) -> BenefitsSummary:
    """Summarize ``response`` for each requested service type (general coverage first)."""
    general = [b for b in response.benefits if _applies(b, GENERAL)]
    plan = next((b.plan_description for b in response.benefits if b.plan_description), "")
    gcodes = {b.code for b in general}
    plan_active = True if gcodes & ACTIVE_CODES else (False if INACTIVE in gcodes else None)
    rejections = tuple(rejection_words(r.reason, r.follow_up) for r in response.rejections)
    if rejections and not response.benefits:
        plan_active = None
    order = [GENERAL] + [s for s in requested if s != GENERAL]
    services = tuple(summarize_service(response, stc, plan_active) for stc in dict.fromkeys(order))
    return BenefitsSummary(plan, plan_active, rejections, services)
