"""The REST API under /api/v1: one NinjaAPI, a router per domain, errors as {code, message}."""

import logging

from django.core.exceptions import BadRequest, RequestDataTooBig, SuspiciousOperation
from django.http import Http404
from django.http.multipartparser import MultiPartParserError
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from omnipresence.accounts.api import router as accounts_router
from omnipresence.appointments.api import router as appointments_router
from omnipresence.attribution.api import router as attribution_router
from omnipresence.catalog.api import router as catalog_router
from omnipresence.catalog.import_api import router as imports_router
from omnipresence.clienteling.api import router as clienteling_router
from omnipresence.clients.api import router as clients_router
from omnipresence.clients.audit_api import router as audit_router
from omnipresence.core.errors import DomainError
from omnipresence.fulfilment.api import router as fulfilment_router
from omnipresence.inbox.api import router as inbox_router
from omnipresence.inbox.provider_api import router as inbox_providers_router
from omnipresence.inbox.rich_api import router as inbox_rich_router
from omnipresence.inbox.routing_api import router as inbox_routing_router
from omnipresence.inventory.api import router as inventory_router
from omnipresence.live.api import router as live_router
from omnipresence.orders.api import router as orders_router
from omnipresence.payments.api import router as payments_router
from omnipresence.privacy.api import router as privacy_router
from omnipresence.returns.api import router as returns_router
from omnipresence.search.api import router as search_router
from omnipresence.shares.api import router as shares_router
from omnipresence.stores.api import router as stores_router
from omnipresence.visits.api import router as visits_router

log = logging.getLogger(__name__)

api = NinjaAPI(
    title="Omnipresence API",
    version="1",
    description="One inventory, catalog and search for every channel. Errors are JSON: "
    "`{code, message, details?}` with a stable `code`.",
    urls_namespace="api",
)


@api.exception_handler(DomainError)
def domain_error(request, exc: DomainError):
    return api.create_response(request, exc.as_dict(), status=exc.status)


@api.exception_handler(NinjaValidationError)
def validation_error(request, exc: NinjaValidationError):
    details = [
        {"loc": [str(part) for part in error.get("loc", ())], "message": str(error.get("msg", ""))}
        for error in exc.errors
    ]
    first = details[0] if details else {"loc": [], "message": "invalid"}
    where = ".".join(p for p in first["loc"] if p not in {"body", "query", "path", "payload"})
    return api.create_response(
        request,
        {"code": "invalid_input", "message": f"{where or 'request'}: {first['message']}", "details": details},
        status=422,
    )


@api.exception_handler(AuthenticationError)
def authentication_error(request, exc):
    return api.create_response(
        request,
        {"code": "unauthenticated", "message": "Send a valid API token (Authorization: Bearer …) or log in."},
        status=401,
    )


@api.exception_handler(Http404)
def not_found(request, exc):
    return api.create_response(request, {"code": "not_found", "message": "Not found."}, status=404)


@api.exception_handler(HttpError)
def http_error(request, exc: HttpError):
    code = "malformed_request" if exc.status_code == 400 else "http_error"  # 400: a body that is not JSON
    return api.create_response(request, {"code": code, "message": str(exc)}, status=exc.status_code)


@api.exception_handler(MultiPartParserError)
def malformed_upload(request, exc):
    # e.g. `Content-Type: multipart/form-data` without a boundary (was a 500).
    return api.create_response(
        request, {"code": "malformed_request", "message": "The multipart body could not be read."}, status=400
    )


@api.exception_handler(RequestDataTooBig)
def request_too_big(request, exc):
    return api.create_response(
        request, {"code": "payload_too_large", "message": "The request body is too large."}, status=413
    )


@api.exception_handler(BadRequest)
@api.exception_handler(SuspiciousOperation)
def bad_request(request, exc):
    return api.create_response(
        request, {"code": "malformed_request", "message": "The request could not be read."}, status=400
    )


@api.exception_handler(Exception)
def unexpected(request, exc: Exception):
    log.exception("unexpected API error")
    return api.create_response(
        request, {"code": "server_error", "message": "Something went wrong on our side."}, status=500
    )


api.add_router("/", stores_router)
api.add_router("/", catalog_router)
api.add_router("/", clienteling_router)  # before clients: /clients/reassign is not /clients/{client_id}
api.add_router("/", clients_router)
api.add_router("/", audit_router)
api.add_router("/", inventory_router)
api.add_router("/", imports_router)
api.add_router("/", search_router)
api.add_router("/", orders_router)
api.add_router("/", fulfilment_router)
api.add_router("/", payments_router)
api.add_router("/", returns_router)
api.add_router("/", accounts_router)
api.add_router("/", privacy_router)
api.add_router("/", shares_router)
api.add_router("/", visits_router)
api.add_router("/", appointments_router)
api.add_router("/", live_router)
api.add_router("/", attribution_router)
api.add_router("/", inbox_routing_router)  # before the inbox: /conversations/{id}/claim
api.add_router("/", inbox_router)
api.add_router("/", inbox_providers_router)
api.add_router("/", inbox_rich_router)
