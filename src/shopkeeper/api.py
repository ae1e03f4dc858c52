"""The REST API at /api/v1/: one NinjaAPI, every domain app mounts its router here.

Every failure answers in RFC 9457 problem-details form (see core/problems.py)."""

from __future__ import annotations

import logging

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, IntegrityError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.renderers import JSONRenderer

from shopkeeper.core.auth import RateLimited
from shopkeeper.core.problems import problem

log = logging.getLogger("shopkeeper.api")


class UnicodeJSONRenderer(JSONRenderer):
    json_dumps_params = {"ensure_ascii": False}


def install_problem_handlers(api: NinjaAPI) -> NinjaAPI:
    """Make every failure of `api` answer in problem-details form."""

    def _loc(loc: list) -> list:
        # ninja prefixes body errors with ("body", "<param name>"); integrators want the payload path.
        loc = list(loc)
        if len(loc) >= 2 and loc[0] == "body":
            return loc[2:] or loc[1:]
        return loc

    @api.exception_handler(ValidationError)
    def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        errors = []
        for err in exc.errors:
            errors.append(
                {
                    "loc": _loc(err.get("loc", [])),
                    "msg": err.get("msg", ""),
                    "type": err.get("type", ""),
                }
            )
        if any(e["type"] == "json_invalid" for e in errors):
            return problem(
                400,
                slug="malformed-json",
                detail="The request body is not valid JSON.",
                errors=errors,
            )
        return problem(422, slug="validation-error", detail="The request has invalid fields.", errors=errors)

    @api.exception_handler(AuthenticationError)
    def on_auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return problem(
            401,
            slug="unauthorized",
            detail="A valid API key is required: send `Authorization: Bearer <key>`.",
            headers={"WWW-Authenticate": 'Bearer realm="shopkeeper"'},
        )

    @api.exception_handler(RateLimited)
    def on_rate_limited(request: HttpRequest, exc: RateLimited) -> HttpResponse:
        return problem(
            429,
            slug="rate-limited",
            detail=str(exc),
            headers={"Retry-After": str(exc.window.reset)},
        )

    @api.exception_handler(HttpError)
    def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        return problem(exc.status_code, detail=str(exc))

    @api.exception_handler(Http404)
    @api.exception_handler(ObjectDoesNotExist)
    def on_not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
        return problem(404, slug="not-found", detail="No such object, or it is not visible to this key.")

    @api.exception_handler(DjangoValidationError)
    def on_domain_error(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
        errors = []
        if hasattr(exc, "error_dict"):
            for key, messages in exc.message_dict.items():
                loc = [int(p) if p.isdigit() else p for p in key.split(".")] if key != "__all__" else []
                errors += [{"loc": loc, "msg": m, "type": "invalid"} for m in messages]
        else:
            errors = [
                {"loc": [], "msg": m, "type": getattr(exc, "code", None) or "invalid"} for m in exc.messages
            ]
        detail = errors[0]["msg"] if len(errors) == 1 else "The request has invalid fields."
        return problem(422, slug="validation-error", detail=detail, errors=errors)

    @api.exception_handler(DataError)
    def on_unstorable(request: HttpRequest, exc: DataError) -> HttpResponse:
        # A value the database cannot hold (a NUL character, a number or text too large for its column).
        log.info("unstorable value on %s %s: %s", request.method, request.path, exc)
        reason = str(exc).splitlines()[0][:200] if str(exc) else ""
        return problem(
            422,
            slug="unstorable-value",
            detail=f"A value cannot be stored: {reason}".rstrip(": "),
        )

    @api.exception_handler(IntegrityError)
    def on_conflict(request: HttpRequest, exc: IntegrityError) -> HttpResponse:
        # A unique value already used (an external id, a code): the request conflicts with stored data.
        log.info("integrity conflict on %s %s: %s", request.method, request.path, exc)
        return problem(
            409,
            slug="conflict",
            detail="This conflicts with an existing record (a value that must be unique is already used).",
        )

    @api.exception_handler(PermissionDenied)
    def on_forbidden(request: HttpRequest, exc: Exception) -> HttpResponse:
        return problem(403, slug="forbidden", detail=str(exc) or "Not allowed.")

    @api.exception_handler(RequestDataTooBig)
    def on_too_big(request: HttpRequest, exc: Exception) -> HttpResponse:
        return problem(413, slug="body-too-large", detail="The request body is larger than this API accepts.")

    @api.exception_handler(Exception)
    def on_unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
        log.exception("unhandled API error on %s %s", request.method, request.path)
        return problem(500, slug="internal-error", detail="An unexpected error occurred; it has been logged.")

    return api


api = install_problem_handlers(
    NinjaAPI(
        title="Shopkeeper API",
        version="1.0.0",
        description="REST API of Shopkeeper, the CRM for online stores. Errors are RFC 9457 problem details.",
        urls_namespace="api",
        renderer=UnicodeJSONRenderer(),
        docs_url="/docs",
        openapi_url="/openapi.json",
    )
)


def _mount() -> None:
    from shopkeeper.accounts.api import router as accounts_router
    from shopkeeper.catalog.api import router as catalog_router
    from shopkeeper.customers.api import router as customers_router
    from shopkeeper.intake.api import router as intake_router
    from shopkeeper.integrations.api import router as integrations_router
    from shopkeeper.inventory.api import router as inventory_router
    from shopkeeper.orders.api import router as orders_router
    from shopkeeper.stores.api import router as stores_router

    for router in (
        accounts_router,
        stores_router,
        orders_router,
        catalog_router,
        inventory_router,
        customers_router,
        intake_router,
        integrations_router,
    ):
        api.add_router("", router)


_mount()
