"""FHIR R4 (R4B models) at the edge: every Questionnaire / QuestionnaireResponse we accept or send
is validated with fhir.resources.R4B; problems name the element (``Questionnaire.item[2].type``)."""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError

from plexus.core.errors import ApplicationError, FieldError, validation_error
from plexus.engines.forms import FhirMappingError, questionnaire_from_fhir, response_from_fhir
from plexus.engines.forms import Questionnaire as FormDef
from plexus.engines.forms.fhir import questionnaire_to_fhir, response_to_fhir

MAX_UPLOAD = 2 * 1024 * 1024


def _element(resource: str, loc: tuple) -> str:
    out = resource
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += "." + ("resourceType" if part == "resource_type" else str(part))
    return out


def validate_resource(resource: str, data: Any) -> dict:
    """Return data after checking it against the R4B model of resource; raise 422 naming each bad element."""
    from fhir.resources.R4B import get_fhir_model_class

    if not isinstance(data, dict):
        raise validation_error([FieldError(resource, "must be a JSON object")])
    if data.get("resourceType") != resource:
        raise validation_error([FieldError(f"{resource}.resourceType",
                                           f"expected {resource}, got {data.get('resourceType')!r}")])
    try:
        get_fhir_model_class(resource).model_validate(data)
    except ValidationError as exc:
        errors = [FieldError(_element(resource, tuple(e.get("loc", ()))), e.get("msg", "invalid")) for e in exc.errors()]
        raise validation_error(errors or [FieldError(resource, "invalid")]) from exc
    return data


def load_json(raw: bytes | str, name: str = "file") -> Any:
    """Decode an uploaded JSON document; a 422 names the line and column of a syntax error."""
    if len(raw) > MAX_UPLOAD:
        raise validation_error([FieldError(name, f"is larger than {MAX_UPLOAD // 1024} KB")])
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        where = f" (line {exc.lineno}, column {exc.colno})" if hasattr(exc, "lineno") else ""
        raise validation_error([FieldError(name, f"is not valid JSON{where}")]) from exc


def mapping_error(exc: FhirMappingError) -> ApplicationError:
    return validation_error([FieldError(path, message) for path, message in exc.problems])


def questionnaire_from(data: Any) -> tuple[FormDef, str]:
    """Validate a FHIR Questionnaire and map it to a form definition (nothing is saved here)."""
    validate_resource("Questionnaire", data)
    try:
        return questionnaire_from_fhir(data)
    except FhirMappingError as exc:
        raise mapping_error(exc) from exc


def questionnaire_export(form: FormDef, status: str) -> dict:
    return validate_resource("Questionnaire", questionnaire_to_fhir(form, status=status))


def response_export(form: FormDef, response) -> dict:
    authored = response.completed_at or response.updated_at
    data = response_to_fhir(form, response.answers, response_id=f"qr-{response.pk}", status=response.status,
                            patient_ref=f"Patient/{response.patient_id}", authored=authored.isoformat())
    return validate_resource("QuestionnaireResponse", data)


def answers_from(form: FormDef, data: Any) -> tuple[dict, str]:
    """Validate a FHIR QuestionnaireResponse and return (answers, status) for form."""
    validate_resource("QuestionnaireResponse", data)
    try:
        return response_from_fhir(form, data)
    except FhirMappingError as exc:
        raise mapping_error(exc) from exc
