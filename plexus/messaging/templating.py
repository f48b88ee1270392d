"""Message templates: ``{placeholder}`` substitution from a whitelist (no template language, so an
edited template can reach nothing but the values we hand it).

Minimum necessary (HIPAA 45 CFR 164.502(b)): text messages and email subjects are seen on lock
screens and in inbox lists, so they may only use placeholders that carry no clinical detail
(no services, practitioners' disciplines or preparation notes). Only an email body may list the
visit's components and what to prepare.
"""

from __future__ import annotations

import re

from plexus.core.errors import FieldError

PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")

# Safe anywhere: who, when, where, and the links.
BASIC = frozenset({
    "patient_first_name", "practice_name", "practice_phone", "date", "start_time", "location_name",
    "location_address", "locations_note", "component_count", "confirm_url", "cancel_url", "reschedule_url",
    "manage_url",
})
ALLOWED: dict[str, frozenset[str]] = {
    "email.subject": frozenset({"patient_first_name", "practice_name", "date", "start_time", "location_name"}),
    "email.body": BASIC | {"components", "preparation", "unsubscribe_url"},
    "sms.body": BASIC,
}
SMS_MAX_TEMPLATE = 480  # three SMS segments before substitution


def allowed_for(channel: str, field: str) -> frozenset[str]:
    return ALLOWED.get(f"{channel}.{field}", frozenset())


def _field_errors(field: str, text: str, allowed: frozenset[str]) -> list[FieldError]:
    errors: list[FieldError] = []
    unknown = sorted({m.group(1) for m in PLACEHOLDER.finditer(text)} - allowed)
    if unknown:
        names = ", ".join("{" + u + "}" for u in unknown)
        errors.append(FieldError(field, f"Unknown placeholder {names}. Allowed here: "
                                        f"{', '.join('{' + a + '}' for a in sorted(allowed))}."))
    leftover = PLACEHOLDER.sub("", text)
    if "{" in leftover or "}" in leftover:
        errors.append(FieldError(field, "Braces are only for placeholders such as {date}; "
                                        "check for a stray or misspelt one."))
    return errors


def template_errors(*, channel: str, subject: str, body: str) -> list[FieldError]:
    """Return every problem with a template's subject and body (empty when it may be saved)."""
    errors: list[FieldError] = []
    if not (body or "").strip():
        errors.append(FieldError("body", "Write the message."))
    if channel == "email":
        if not (subject or "").strip():
            errors.append(FieldError("subject", "An email needs a subject."))
        errors += _field_errors("subject", subject or "", allowed_for("email", "subject"))
    elif subject:
        errors.append(FieldError("subject", "Text messages have no subject; leave it empty."))
    errors += _field_errors("body", body or "", allowed_for(channel, "body"))
    if channel == "sms" and len(body or "") > SMS_MAX_TEMPLATE:
        errors.append(FieldError("body", f"Keep text messages under {SMS_MAX_TEMPLATE} characters."))
    return errors


def render(text: str, context: dict[str, str]) -> str:
    """Substitute ``{name}`` placeholders (missing values become empty); tidy the gaps they leave."""
    out = PLACEHOLDER.sub(lambda m: str(context.get(m.group(1), "")), text)
    out = re.sub(r"(?<=\S) {2,}", " ", out)  # an empty placeholder leaves no double space (indents stay)
    return re.sub(r"\n{3,}", "\n\n", out).strip()


# Sample values for previews in the template editor (no real patient data).
SAMPLE_CONTEXT = {
    "patient_first_name": "Maria", "practice_name": "Harmony Integrative Health", "practice_phone": "(503) 555-0100",
    "date": "Tuesday 1 December", "start_time": "9:00 AM", "location_name": "Portland Downtown",
    "location_address": "100 SW Main St, Portland, OR 97204", "locations_note": "", "component_count": "3",
    "components": "- 9:00 AM Established visit with Dr Wei Chen, Consult 1\n"
                  "- 9:30 AM Acupuncture with Mei Li, LAc, Treatment 1\n"
                  "- 10:00 AM Therapeutic massage with Ana Ortiz, LMT, Massage A",
    "preparation": "- Acupuncture: wear loose, comfortable clothing and eat a light meal beforehand.",
    "confirm_url": "https://clinic.example.org/schedule/visit/…/?do=confirm",
    "cancel_url": "https://clinic.example.org/schedule/visit/…/?do=cancel",
    "reschedule_url": "https://clinic.example.org/schedule/visit/…/?do=reschedule",
    "manage_url": "https://clinic.example.org/schedule/visit/…/",
    "unsubscribe_url": "https://clinic.example.org/messaging/unsubscribe/…/",
}
