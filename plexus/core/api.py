"""API for practice setup, staff users, API tokens and the audit log."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from plexus.core import selectors, services
from plexus.core.api_utils import paginate, require_perm
from plexus.core.errors import ApplicationError, ErrorCode, FieldError, validation_error
from plexus.core.models import Discipline, Location, Payer, Practitioner, Service, User
from plexus.core.permissions import Perm, granted

router = Router(tags=["practice"])


class PracticeOut(Schema):
    id: int
    legal_name: str
    tax_id: str
    group_npi: str
    address_line1: str
    address_line2: str
    city: str
    state: str
    postal_code: str
    phone: str
    late_cancel_hours: int


class PracticeIn(Schema):
    legal_name: str
    tax_id: str
    group_npi: str
    address_line1: str
    address_line2: str = ""
    city: str
    state: str = Field(max_length=2)
    postal_code: str
    phone: str
    late_cancel_hours: int = 24


class LocationIn(Schema):
    name: str
    address_line1: str
    address_line2: str = ""
    city: str
    state: str = Field(max_length=2)
    postal_code: str
    phone: str = ""
    time_zone: str
    place_of_service: str = "11"


class LocationOut(LocationIn):
    id: int
    is_active: bool


class RoomIn(Schema):
    location_id: int
    name: str
    room_type: str
    capacity: int = 1


class RoomOut(RoomIn):
    id: int
    is_active: bool


class DisciplineIn(Schema):
    code: str
    name: str
    is_clinical: bool = True
    can_supervise: bool = False
    requires_supervisor: bool = False
    colour: str = "#6c757d"


class DisciplineOut(DisciplineIn):
    id: int


class PractitionerIn(Schema):
    first_name: str
    last_name: str
    discipline_id: int
    credentials: str
    npi: str = ""
    taxonomy_code: str
    license_number: str = ""
    supervising_physician_id: int | None = None
    location_ids: list[int]
    payer_ids: list[int] = []


class PractitionerOut(Schema):
    id: int
    first_name: str
    last_name: str
    discipline: str
    credentials: str
    npi: str
    taxonomy_code: str
    supervising_physician_id: int | None
    location_ids: list[int]
    payer_ids: list[int]
    is_active: bool


class ServiceIn(Schema):
    name: str
    duration_minutes: int
    discipline_ids: list[int]
    room_type: str
    procedure_code: str
    modifiers: list[str] = []
    unit_minutes: int | None = None
    max_units: int = 1
    default_fee: Decimal
    coverage_category: str
    hsa_eligibility: str
    buffer_minutes: int = 0
    room_turnover_minutes: int = 0


class ServiceOut(ServiceIn):
    id: int
    is_active: bool


class PayerIn(Schema):
    name: str
    payer_id: str
    payer_type: str
    phone: str = ""


class PayerOut(PayerIn):
    id: int
    is_active: bool


class UserIn(Schema):
    username: str
    role: str
    password: str
    first_name: str = ""
    last_name: str = ""
    email: str = ""


class UserOut(Schema):
    id: int
    username: str
    role: str
    first_name: str
    last_name: str
    is_active: bool


class MeOut(UserOut):
    permissions: list[str]


class TokenIn(Schema):
    name: str
    user_id: int


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    user_id: int
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class TokenCreated(TokenOut):
    secret: str = Field(description="Shown once; store it now.")


class AuditOut(Schema):
    id: int
    at: datetime
    username: str
    role: str
    action: str
    object_type: str
    object_id: str
    patient_id: int | None
    changed_fields: list[str]
    detail: str
    ip: str | None
    via: str


def _practitioner_out(p: Practitioner) -> dict:
    return {
        "id": p.pk, "first_name": p.first_name, "last_name": p.last_name, "discipline": p.discipline.code,
        "credentials": p.credentials, "npi": p.npi, "taxonomy_code": p.taxonomy_code,
        "supervising_physician_id": p.supervising_physician_id,
        "location_ids": sorted(loc.pk for loc in p.locations.all()),
        "payer_ids": sorted(pay.pk for pay in p.payers.all()), "is_active": p.is_active,
    }


def _service_out(s: Service) -> dict:
    out = {f: getattr(s, f) for f in ServiceOut.model_fields if f != "discipline_ids"}
    out["discipline_ids"] = sorted(d.pk for d in s.disciplines.all())
    return out


def _ids(model, ids: list[int], field: str) -> list:
    objs = list(model.objects.filter(pk__in=ids))
    missing = sorted(set(ids) - {o.pk for o in objs})
    if missing:
        raise validation_error([FieldError(field, f"Unknown id(s): {', '.join(map(str, missing))}.")])
    return objs


@router.get("/me", response=MeOut, summary="The authenticated user and their permissions")
def me(request: HttpRequest):
    user = request.user
    return {
        "id": user.pk, "username": user.username, "role": user.role, "first_name": user.first_name,
        "last_name": user.last_name, "is_active": user.is_active, "permissions": [p.value for p in granted(user.role)],
    }


@router.get("/practice", response=PracticeOut)
def practice_get(request: HttpRequest):
    require_perm(request, Perm.PRACTICE_VIEW)
    practice = selectors.practice()
    if practice is None:
        raise ApplicationError(ErrorCode.NOT_FOUND, "The practice is not set up yet.")
    return practice


@router.put("/practice", response=PracticeOut)
def practice_put(request: HttpRequest, payload: PracticeIn):
    act = require_perm(request, Perm.PRACTICE_MANAGE)
    return services.practice_save(actor=act, data=payload.dict())


@router.get("/locations", response=list[LocationOut])
def locations_list(request: HttpRequest):
    require_perm(request, Perm.PRACTICE_VIEW)
    return list(Location.objects.all())


@router.post("/locations", response={201: LocationOut})
def locations_create(request: HttpRequest, payload: LocationIn):
    act = require_perm(request, Perm.PRACTICE_MANAGE)
    return Status(201, services.location_create(actor=act, data=payload.dict()))


@router.get("/rooms", response=list[RoomOut])
def rooms_list(request: HttpRequest, location_id: int | None = None, room_type: str | None = None):
    require_perm(request, Perm.PRACTICE_VIEW)
    return list(selectors.rooms(location_id=location_id, room_type=room_type))


@router.post("/rooms", response={201: RoomOut})
def rooms_create(request: HttpRequest, payload: RoomIn):
    act = require_perm(request, Perm.PRACTICE_MANAGE)
    data = payload.dict()
    data["location"] = _ids(Location, [data.pop("location_id")], "location_id")[0]
    return Status(201, services.room_create(actor=act, data=data))


@router.get("/disciplines", response=list[DisciplineOut])
def disciplines_list(request: HttpRequest):
    require_perm(request, Perm.PRACTICE_VIEW)
    return list(Discipline.objects.all())


@router.post("/disciplines", response={201: DisciplineOut})
def disciplines_create(request: HttpRequest, payload: DisciplineIn):
    act = require_perm(request, Perm.PRACTICE_MANAGE)
    return Status(201, services.discipline_create(actor=act, data=payload.dict()))


@router.get("/practitioners", response=list[PractitionerOut])
def practitioners_list(request: HttpRequest, discipline: str | None = None, location_id: int | None = None):
    require_perm(request, Perm.PRACTICE_VIEW)
    return [_practitioner_out(p) for p in selectors.practitioners(discipline=discipline, location_id=location_id)]


@router.post("/practitioners", response={201: PractitionerOut})
def practitioners_create(request: HttpRequest, payload: PractitionerIn):
    act = require_perm(request, Perm.PRACTICE_MANAGE)
    data = payload.dict()
    locations = _ids(Location, data.pop("location_ids"), "location_ids")
    payers = _ids(Payer, data.pop("payer_ids"), "payer_ids")
    data["discipline"] = _ids(Discipline, [data.pop("discipline_id")], "discipline_id")[0]
    sup_id = data.pop("supervising_physician_id")
    data["supervising_physician"] = _ids(Practitioner, [sup_id], "supervising_physician_id")[0] if sup_id else None
    p = services.practitioner_create(actor=act, data=data, locations=locations, payers=payers)
    return Status(201, _practitioner_out(p))


@router.get("/services", response=list[ServiceOut])
def services_list(request: HttpRequest, coverage_category: str | None = None):
    require_perm(request, Perm.PRACTICE_VIEW)
    return [_service_out(s) for s in selectors.services(coverage_category=coverage_category)]


@router.post("/services", response={201: ServiceOut})
def services_create(request: HttpRequest, payload: ServiceIn):
    act = require_perm(request, Perm.PRACTICE_MANAGE)
    data = payload.dict()
    disciplines = _ids(Discipline, data.pop("discipline_ids"), "discipline_ids")
    return Status(201, _service_out(services.service_create(actor=act, data=data, disciplines=disciplines)))


@router.get("/payers", response=list[PayerOut])
def payers_list(request: HttpRequest, payer_type: str | None = None):
    require_perm(request, Perm.PRACTICE_VIEW)
    qs = Payer.objects.all()
    return list(qs.filter(payer_type=payer_type) if payer_type else qs)


@router.post("/payers", response={201: PayerOut})
def payers_create(request: HttpRequest, payload: PayerIn):
    act = require_perm(request, Perm.PRACTICE_MANAGE)
    return Status(201, services.payer_create(actor=act, data=payload.dict()))


@router.get("/users", response=list[UserOut], tags=["admin"])
def users_list(request: HttpRequest, role: str | None = None):
    require_perm(request, Perm.USERS_MANAGE)
    qs = User.objects.all()
    return list(qs.filter(role=role) if role else qs)


@router.post("/users", response={201: UserOut}, tags=["admin"])
def users_create(request: HttpRequest, payload: UserIn):
    act = require_perm(request, Perm.USERS_MANAGE)
    return Status(201, services.user_create(actor=act, **payload.dict()))


@router.get("/tokens", response=list[TokenOut], tags=["admin"])
def tokens_list(request: HttpRequest):
    require_perm(request, Perm.USERS_MANAGE)
    return list(selectors.api_tokens())


@router.post("/tokens", response={201: TokenCreated}, tags=["admin"])
def tokens_create(request: HttpRequest, payload: TokenIn):
    act = require_perm(request, Perm.USERS_MANAGE)
    user = _ids(User, [payload.user_id], "user_id")[0]
    token, secret = services.api_token_create(actor=act, user=user, name=payload.name)
    out = TokenOut.from_orm(token).dict()
    return Status(201, {**out, "secret": secret})


@router.delete("/tokens/{token_id}", response=TokenOut, tags=["admin"])
def tokens_revoke(request: HttpRequest, token_id: int):
    act = require_perm(request, Perm.USERS_MANAGE)
    return services.api_token_revoke(actor=act, token_id=token_id)


class AuditFilter(Schema):
    patient_id: int | None = None
    username: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    action: str | None = None
    limit: int = 50
    offset: int = 0


@router.get("/audit", response=dict, tags=["admin"], summary="Search the audit log (paginated)")
def audit_list(request: HttpRequest, filters: Query[AuditFilter]):
    require_perm(request, Perm.AUDIT_VIEW)
    start = datetime.combine(filters.date_from, time.min) if filters.date_from else None
    end = datetime.combine(filters.date_to, time.max) if filters.date_to else None
    qs = selectors.audit_events(
        patient_id=filters.patient_id, username=filters.username, start=start, end=end, action=filters.action
    )
    return paginate(qs, filters.limit, filters.offset, lambda e: AuditOut.from_orm(e).dict())
