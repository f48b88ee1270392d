"""The HTTP API root: /api/ (OpenAPI at /api/openapi.json, docs at /api/docs).

Session auth (with CSRF) for the staff UI, bearer-token auth for integrations. Every error is an
RFC 9457 problem document (application/problem+json).
"""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import APIKeyCookie, HttpBearer

from plexus.billing.api import router as billing_router
from plexus.care.api import router as care_router
from plexus.core.api import router as core_router
from plexus.core.errors import ApplicationError, ErrorCode, FieldError, validation_error
from plexus.core.services import api_token_authenticate
from plexus.messaging.api import router as messaging_router
from plexus.patients.api import router as patients_router
from plexus.records.api import router as records_router
from plexus.scheduling.api import router as scheduling_router

PROBLEM = "application/problem+json"


class SessionAuth(APIKeyCookie):
    """Django session cookie (CSRF checked on unsafe methods)."""

    param_name = "sessionid"

    def authenticate(self, request: HttpRequest, key: str | None):
        user = getattr(request, "user", None)
        return user if user is not None and user.is_authenticated else None


class TokenAuth(HttpBearer):
    """Authorization: Bearer plx_... (tokens created by an admin; only hashes are stored)."""

    def authenticate(self, request: HttpRequest, token: str):
        user = api_token_authenticate(token)
        if user is not None:
            request.user = user
        return user


api = NinjaAPI(
    title="Plexus API",
    version="1",
    description="Practice management for integrative medicine clinics. Errors are RFC 9457 problem documents.",
    auth=[TokenAuth(), SessionAuth(csrf=True)],
    urls_namespace="api",
)


def problem_response(request: HttpRequest, error: ApplicationError) -> JsonResponse:
    return JsonResponse(error.problem(instance=request.path), status=error.status, content_type=PROBLEM)


@api.exception_handler(ApplicationError)
def _application_error(request: HttpRequest, exc: ApplicationError) -> JsonResponse:
    return problem_response(request, exc)


def _loc_to_field(loc: list) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "payload", "data", "filters")]
    return ".".join(parts) or "body"


@api.exception_handler(NinjaValidationError)
def _validation_error(request: HttpRequest, exc: NinjaValidationError) -> JsonResponse:
    errors = [FieldError(_loc_to_field(list(e.get("loc", []))), e.get("msg", "Invalid value.")) for e in exc.errors]
    return problem_response(request, validation_error(errors or [FieldError("body", "Invalid request.")]))


@api.exception_handler(AuthenticationError)
def _auth_error(request: HttpRequest, exc: AuthenticationError) -> JsonResponse:
    return problem_response(
        request, ApplicationError(ErrorCode.UNAUTHENTICATED, "Log in, or send Authorization: Bearer <token>.")
    )


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> JsonResponse:
    doc = {"type": "about:blank", "title": str(exc.message), "status": exc.status_code, "detail": str(exc.message)}
    return JsonResponse(doc, status=exc.status_code, content_type=PROBLEM)


api.add_router("/", core_router)
api.add_router("/patients", patients_router)
api.add_router("/scheduling", scheduling_router)
api.add_router("/messaging", messaging_router)
api.add_router("/billing", billing_router)
api.add_router("/records", records_router)
api.add_router("/care", care_router)
