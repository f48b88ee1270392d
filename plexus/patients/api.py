"""API for patients and coverage. Every patient read goes through access_patient()."""

from __future__ import annotations

from datetime import date, datetime

from django.http import HttpRequest
from ninja import File, Query, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import ConfigDict, create_model

from plexus.core.api_utils import actor
from plexus.core.errors import FieldError, validation_error
from plexus.core.permissions import Perm
from plexus.patients import imports, selectors, services
from plexus.patients.selectors import access_patient, require

router = Router(tags=["patients"])


class PatientBase(Schema):
    legal_first_name: str
    legal_middle_name: str = ""
    legal_last_name: str
    preferred_name: str = ""
    pronouns: str = ""
    date_of_birth: date
    sex_for_claims: str
    address_line1: str = ""
    address_line2: str = ""
    city: str = ""
    state: str = ""
    postal_code: str = ""
    phone_mobile: str = ""
    phone_home: str = ""
    email: str = ""
    preferred_language: str = "en"
    time_zone: str = "America/Los_Angeles"
    preferred_channel: str = "email"
    consent_sms: bool = False
    consent_email: bool = False
    has_hsa_fsa: bool = False
    guarantor_id: int | None = None
    guarantor_relationship: str = ""


class PatientOut(PatientBase):
    id: int
    chart_number: str
    is_active: bool


class PatientSummary(Schema):
    id: int
    chart_number: str
    display_name: str
    legal_last_name: str
    legal_first_name: str
    date_of_birth: date
    phone_mobile: str


PatientPatch = create_model(
    "PatientPatch",
    __config__=ConfigDict(extra="forbid"),
    **{name: (field.annotation | None, None) for name, field in PatientBase.model_fields.items()},
)
PatientPatch.__doc__ = "Any subset of the patient fields; unknown fields are rejected."


class CoverageIn(Schema):
    payer_id: int
    member_id: str
    group_number: str = ""
    plan_name: str = ""
    relationship: str = "18"
    subscriber_first_name: str = ""
    subscriber_last_name: str = ""
    subscriber_date_of_birth: date | None = None
    priority: int = 1
    effective_date: date
    end_date: date | None = None


class CoverageOut(CoverageIn):
    id: int
    payer_name: str
    created_at: datetime

    @staticmethod
    def resolve_payer_name(obj) -> str:
        return obj.payer.name


class CoverageEnd(Schema):
    end_date: date


class SearchFilter(Schema):
    q: str = ""
    date_of_birth: date | None = None
    phone: str = ""
    member_id: str = ""
    limit: int = 25
    offset: int = 0


class ImportOut(Schema):
    patients: int
    coverages: int


@router.get("", response=dict, summary="Search patients by name, chart number, date of birth, phone, member ID")
def patients_search(request: HttpRequest, filters: Query[SearchFilter]):
    query = selectors.PatientQuery(filters.q, filters.date_of_birth, filters.phone, filters.member_id)
    limit = max(1, min(filters.limit, 200))
    total, page = selectors.patient_search(actor(request), query, limit=limit, offset=max(0, filters.offset))
    return {
        "count": total, "limit": limit, "offset": max(0, filters.offset),
        "items": [PatientSummary.from_orm(p).dict() for p in page],
    }


@router.post("", response={201: PatientOut})
def patients_create(request: HttpRequest, payload: PatientBase):
    act = actor(request)
    require(act, Perm.PATIENT_EDIT, what="patient.create")
    return Status(201, services.patient_create(actor=act, data=payload.dict()))


@router.post("/import", response={201: ImportOut}, summary="Import patients with coverage from CSV (all or nothing)")
def patients_import(request: HttpRequest, file: File[UploadedFile]):
    act = actor(request)
    require(act, Perm.PATIENT_IMPORT, what="patient.import")
    try:
        text = file.read().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise validation_error([FieldError("file", "The file is not UTF-8 text.")]) from exc
    result = imports.import_patients_csv(actor=act, text=text)
    return Status(201, {"patients": result.patients, "coverages": result.coverages})


@router.get("/{patient_id}", response=PatientOut)
def patients_get(request: HttpRequest, patient_id: int):
    return access_patient(actor(request), patient_id, what="demographics")


@router.patch("/{patient_id}", response=PatientOut)
def patients_patch(request: HttpRequest, patient_id: int, payload: PatientPatch):
    act = actor(request)
    patient = access_patient(act, patient_id, Perm.PATIENT_EDIT, what="edit")
    data = payload.model_dump(exclude_unset=True)
    required = [k for k, v in data.items() if v is None and PatientBase.model_fields[k].is_required()]
    if required:
        raise validation_error([FieldError(k, "This field may not be empty.") for k in required])
    return services.patient_update(actor=act, patient=patient, data=data)


@router.get("/{patient_id}/coverages", response=list[CoverageOut])
def coverages_list(request: HttpRequest, patient_id: int):
    patient = access_patient(actor(request), patient_id, Perm.COVERAGE_VIEW, what="coverage")
    return selectors.patient_coverages(patient)


@router.post("/{patient_id}/coverages", response={201: CoverageOut})
def coverages_create(request: HttpRequest, patient_id: int, payload: CoverageIn):
    act = actor(request)
    patient = access_patient(act, patient_id, Perm.COVERAGE_EDIT, what="coverage.edit")
    return Status(201, services.coverage_create(actor=act, patient=patient, data=payload.dict()))


@router.post("/{patient_id}/coverages/{coverage_id}/end", response=CoverageOut)
def coverages_end(request: HttpRequest, patient_id: int, coverage_id: int, payload: CoverageEnd):
    act = actor(request)
    patient = access_patient(act, patient_id, Perm.COVERAGE_EDIT, what="coverage.edit")
    return services.coverage_end(actor=act, patient=patient, coverage_id=coverage_id, end_date=payload.end_date)
