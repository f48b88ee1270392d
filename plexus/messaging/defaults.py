"""The templates Plexus ships with (English and Spanish). ensure_default_templates() adds any that
are missing and never overwrites a template an admin has edited; migration 0002 calls it."""

from __future__ import annotations

# (kind, channel, language): (subject, body)
DEFAULTS: dict[tuple[str, str, str], tuple[str, str]] = {
    ("reminder", "email", "en"): (
        "Your visit on {date} at {start_time}",
        "Hello {patient_first_name},\n\n"
        "This is a reminder of your visit at {practice_name} on {date}, starting at {start_time}, "
        "at {location_name} ({location_address}).\n\n"
        "Your visit:\n{components}\n\n{locations_note}\n\n"
        "To prepare:\n{preparation}\n\n"
        "Confirm: {confirm_url}\nCancel: {cancel_url}\nAsk to reschedule: {reschedule_url}\n\n"
        "Questions? Call us at {practice_phone}.\n\n"
        "Stop these emails: {unsubscribe_url}",
    ),
    ("reminder", "email", "es"): (
        "Su cita el {date} a las {start_time}",
        "Hola {patient_first_name}:\n\n"
        "Le recordamos su cita en {practice_name} el {date}, a partir de las {start_time}, "
        "en {location_name} ({location_address}).\n\n"
        "Su visita:\n{components}\n\n{locations_note}\n\n"
        "Para prepararse:\n{preparation}\n\n"
        "Confirmar: {confirm_url}\nCancelar: {cancel_url}\nPedir otro horario: {reschedule_url}\n\n"
        "¿Preguntas? Llámenos al {practice_phone}.\n\n"
        "Dejar de recibir estos correos: {unsubscribe_url}",
    ),
    ("reminder", "sms", "en"): (
        "",
        "{practice_name}: reminder of your visit {date} at {start_time}, {location_name}. {locations_note} "
        "Reply C to confirm, X to cancel. Details: {manage_url} Reply STOP to opt out.",
    ),
    ("reminder", "sms", "es"): (
        "",
        "{practice_name}: le recordamos su cita el {date} a las {start_time}, {location_name}. {locations_note} "
        "Responda C para confirmar, X para cancelar. Detalles: {manage_url} Responda STOP para no recibir más.",
    ),
    ("updated", "email", "en"): (
        "Your visit has changed: {date} at {start_time}",
        "Hello {patient_first_name},\n\n"
        "Your visit at {practice_name} has changed. It is now on {date}, starting at {start_time}, "
        "at {location_name} ({location_address}).\n\n"
        "Your visit:\n{components}\n\n{locations_note}\n\n"
        "To prepare:\n{preparation}\n\n"
        "Confirm: {confirm_url}\nCancel: {cancel_url}\nAsk to reschedule: {reschedule_url}\n\n"
        "Questions? Call us at {practice_phone}.\n\n"
        "Stop these emails: {unsubscribe_url}",
    ),
    ("updated", "email", "es"): (
        "Su cita ha cambiado: {date} a las {start_time}",
        "Hola {patient_first_name}:\n\n"
        "Su cita en {practice_name} ha cambiado. Ahora es el {date}, a partir de las {start_time}, "
        "en {location_name} ({location_address}).\n\n"
        "Su visita:\n{components}\n\n{locations_note}\n\n"
        "Para prepararse:\n{preparation}\n\n"
        "Confirmar: {confirm_url}\nCancelar: {cancel_url}\nPedir otro horario: {reschedule_url}\n\n"
        "¿Preguntas? Llámenos al {practice_phone}.\n\n"
        "Dejar de recibir estos correos: {unsubscribe_url}",
    ),
    ("updated", "sms", "en"): (
        "",
        "{practice_name}: your visit has changed. New time: {date} at {start_time}, {location_name}. "
        "{locations_note} Reply C to confirm, X to cancel. Details: {manage_url}",
    ),
    ("updated", "sms", "es"): (
        "",
        "{practice_name}: su cita ha cambiado. Nuevo horario: {date} a las {start_time}, {location_name}. "
        "{locations_note} Responda C para confirmar, X para cancelar. Detalles: {manage_url}",
    ),
    ("cancelled", "email", "en"): (
        "Your visit on {date} is cancelled",
        "Hello {patient_first_name},\n\n"
        "Your visit at {practice_name} on {date} at {start_time} ({location_name}) is cancelled.\n\n"
        "To book a new time, call us at {practice_phone}.\n\n"
        "Stop these emails: {unsubscribe_url}",
    ),
    ("cancelled", "email", "es"): (
        "Su cita del {date} está cancelada",
        "Hola {patient_first_name}:\n\n"
        "Su cita en {practice_name} el {date} a las {start_time} ({location_name}) está cancelada.\n\n"
        "Para reservar otro horario, llámenos al {practice_phone}.\n\n"
        "Dejar de recibir estos correos: {unsubscribe_url}",
    ),
    ("cancelled", "sms", "en"): (
        "",
        "{practice_name}: your visit {date} at {start_time} is cancelled. To book again call {practice_phone}.",
    ),
    ("cancelled", "sms", "es"): (
        "",
        "{practice_name}: su cita del {date} a las {start_time} está cancelada. Para reservar llame al "
        "{practice_phone}.",
    ),
    ("confirmation", "email", "en"): (
        "Thank you: your visit on {date} is confirmed",
        "Hello {patient_first_name},\n\nThank you: your visit on {date} at {start_time} at {location_name} "
        "is confirmed.\n\nSee you then,\n{practice_name}\n\nStop these emails: {unsubscribe_url}",
    ),
    ("confirmation", "email", "es"): (
        "Gracias: su cita del {date} está confirmada",
        "Hola {patient_first_name}:\n\nGracias: su cita el {date} a las {start_time} en {location_name} "
        "está confirmada.\n\nHasta pronto,\n{practice_name}\n\nDejar de recibir estos correos: {unsubscribe_url}",
    ),
    ("confirmation", "sms", "en"): (
        "",
        "{practice_name}: thank you, your visit {date} at {start_time} is confirmed.",
    ),
    ("confirmation", "sms", "es"): (
        "",
        "{practice_name}: gracias, su cita del {date} a las {start_time} está confirmada.",
    ),
}


def ensure_default_templates(model=None) -> int:
    """Create each shipped template that does not exist yet; return how many were created.

    ``model`` is the historical model in a data migration (default: the current MessageTemplate)."""
    if model is None:
        from plexus.messaging.models import MessageTemplate as model
    have = set(model.objects.values_list("kind", "channel", "language"))
    rows = [model(kind=k, channel=c, language=lang, subject=subject, body=body)
            for (k, c, lang), (subject, body) in DEFAULTS.items() if (k, c, lang) not in have]
    model.objects.bulk_create(rows)
    return len(rows)
