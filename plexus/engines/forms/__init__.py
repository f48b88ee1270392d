"""Forms as data: questionnaire definitions, answer validation, scoring and the FHIR mapping.
Pure Python (no Django): dicts and frozen dataclasses in and out."""

from .answers import enabled_map, is_enabled, missing_required, section_ids, validate
from .definition import DefinitionError, dump, parse
from .fhir import FhirMappingError, questionnaire_from_fhir, questionnaire_to_fhir, response_from_fhir, response_to_fhir
from .model import AnswerError, Item, ItemType, Option, Questionnaire, Score, Section
from .scoring import score

__all__ = [
    "AnswerError", "DefinitionError", "FhirMappingError", "Item", "ItemType", "Option", "Questionnaire", "Score",
    "Section", "dump", "enabled_map", "is_enabled", "missing_required", "parse", "questionnaire_from_fhir",
    "questionnaire_to_fhir", "response_from_fhir", "response_to_fhir", "score", "section_ids", "validate",
]
