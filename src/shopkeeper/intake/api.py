"""Intake endpoints: POST /intake/{source}, POST /orders/batch, and the journal-first order create that
POST /orders (orders.api.create_order) delegates to."""

from __future__ import annotations

import ipaddress
import json
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja import Router, Schema
from ninja.errors import AuthenticationError

from shopkeeper.core.auth import ApiKeyAuth, allowed_store_ids
from shopkeeper.core.idempotency import idempotent
from shopkeeper.core.problems import PROBLEM_CONTENT_TYPE, problem
from shopkeeper.orders.models import Order
from shopkeeper.orders.schemas import OrderIn, order_out
from shopkeeper.orders.selectors import order_card, orders_visible

from . import services, sources
from .models import InboundRequest, Source
from .services import Outcome

router = Router(tags=["intake"])
WRITE = ApiKeyAuth("orders:write")
BATCH_MAX = 100


def inline_schema(model: Any) -> dict[str, Any]:
    """A pydantic model's JSON schema with its $defs inlined (for `openapi_extra` request bodies)."""
    schema = model.model_json_schema()
    defs = schema.pop("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                return resolve(defs[ref.removeprefix("#/$defs/")])
            return {k: resolve(v) for k, v in node.items()}
        if isinstance(node, list):
            return [resolve(v) for v in node]
        return node

    return resolve(schema)


def json_body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


ORDER_BODY = json_body(inline_schema(OrderIn))


class _Refused(Exception):
    def __init__(self, outcome: Outcome) -> None:
        self.outcome = outcome


def _remote_addr(request: HttpRequest) -> str | None:
    try:
        return str(ipaddress.ip_address(request.META.get("REMOTE_ADDR", "")))
    except ValueError:
        return None


def _read_body(request: HttpRequest) -> bytes | None:
    try:
        return request.body
    except RequestDataTooBig:
        return None


def _problem_response(body: dict[str, Any]) -> HttpResponse:
    return JsonResponse(body, status=body.get("status", 422), content_type=PROBLEM_CONTENT_TYPE)


def _order_json(request: HttpRequest, order_id: int | None) -> dict[str, Any]:
    if order_id is None:
        return {"status": "ok"}
    from shopkeeper.orders.schemas import OrderOut

    order = order_card(order_id=order_id, qs=orders_visible(store_ids=allowed_store_ids(request)))
    return OrderOut(**order_out(order)).model_dump(mode="json")


def journal_and_process(
    request: HttpRequest, *, source: str, endpoint: str, store_code: str = "", api_key: Any = None
) -> HttpResponse:
    """Journal the request (committed), then process it under the Idempotency-Key rules."""
    body = _read_body(request)
    entry = services.inbound_journal(
        source=source,
        endpoint=endpoint,
        body=body or b"",
        headers=services.kept_headers(request.headers),
        store_code=store_code,
        remote_addr=_remote_addr(request),
        api_key_id=api_key.pk if api_key is not None else None,
    )
    if body is None:
        refused = services.problem_body(
            413, "body-too-large", "The request body is larger than this API accepts."
        )
        services.inbound_settle(entry_id=entry.pk, status=413, body=refused)
        return _problem_response(refused)
    ran: list[bool] = []

    def create() -> tuple[int, dict[str, Any]]:
        outcome = services.inbound_run(entry_id=entry.pk, api_key=api_key)
        if not outcome.ok:
            raise _Refused(outcome)
        ran.append(True)
        return outcome.status, _order_json(request, outcome.order_id)

    try:
        response = idempotent(request, create)
    except _Refused as exc:  # the caller's transaction rolled back; record the refusal on the entry
        services.inbound_settle(entry_id=entry.pk, status=exc.outcome.status, body=exc.outcome.problem or {})
        return _problem_response(exc.outcome.problem or {})
    if not ran:  # an Idempotency-Key replay or conflict answered without processing
        try:
            answer = json.loads(response.content)
        except ValueError:
            answer = {}
        services.inbound_settle(entry_id=entry.pk, status=response.status_code, body=answer)
    return response


def _api_key(request: HttpRequest) -> Any:
    key = WRITE(request)
    if key is None:
        raise AuthenticationError()
    return key


@router.post(
    "/intake/{source}",
    auth=None,
    summary="Receive an order from a source",
    openapi_extra={
        **json_body({"type": "object"}),
        "security": [{"BearerAuth": []}, {}],
    },
    response={200: dict, 201: dict},
)
def intake(request: HttpRequest, source: str, store: str = "") -> HttpResponse:
    """`source` is `native` (the order payload of POST /orders), `form` (name, phone, email, message,
    page, utm), `woocommerce` or `shopify` (their order webhooks). `native` and `form` need an API key
    with `orders:write`; `woocommerce` and `shopify` are authenticated by their signature header with
    the store's secret and name the store as `?store=<code>`. Every request is journaled before it is
    processed; what cannot be understood is answered with problem details and stays in the journal."""
    module = sources.get(source)
    if module is None:
        return problem(404, slug="unknown-source", detail=f"There is no intake source “{source[:50]}”.")
    if module.AUTH == "api_key":
        return journal_and_process(request, source=module.NAME, endpoint="intake", api_key=_api_key(request))
    return journal_and_process(request, source=module.NAME, endpoint="intake", store_code=store)


def create_order(request: HttpRequest) -> HttpResponse:
    """POST /orders, journal first (called by orders.api.create_order)."""
    return journal_and_process(request, source=Source.NATIVE, endpoint="orders", api_key=request.api_key)


# --- batch ----------------------------------------------------------------------------------


class BatchItemOut(Schema):
    index: int
    status: int
    id: int | None = None
    number: str | None = None
    external_id: str | None = None
    needs_attention: bool | None = None
    problem: dict[str, Any] | None = None


class BatchOut(Schema):
    items: list[BatchItemOut]


BATCH_BODY = json_body(
    {
        "type": "object",
        "required": ["orders"],
        "properties": {"orders": {"type": "array", "maxItems": BATCH_MAX, "items": inline_schema(OrderIn)}},
    }
)


@router.post(
    "/orders/batch",
    auth=WRITE,
    response={200: BatchOut},
    summary="Create up to 100 orders",
    openapi_extra=BATCH_BODY,
)
def create_orders_batch(request: HttpRequest) -> HttpResponse:
    """`{"orders": [<order payload>, ...]}` (at most 100). Each order is journaled and checked on its
    own, and the good ones are written together; each item of the answer has its own `status` (201
    created, 200 existing, 4xx with `problem`)."""
    body = _read_body(request)
    if body is None:
        return problem(413, slug="body-too-large", detail="The request body is larger than this API accepts.")
    try:
        data = services.parse_json(body)
    except sources.Rejected as exc:
        return problem(exc.status, slug=exc.slug, detail=exc.detail, errors=exc.errors)
    items = data.get("orders") if isinstance(data, dict) else None
    if not isinstance(items, list) or not items or len(items) > BATCH_MAX:
        return problem(
            422,
            slug="validation-error",
            detail=f'Send {{"orders": [...]}} with 1 to {BATCH_MAX} orders.',
            errors=[{"loc": ["orders"], "msg": "A list of 1 to 100 orders.", "type": "invalid"}],
        )
    api_key = request.api_key
    headers = services.kept_headers(request.headers)
    headers.pop("Idempotency-Key", None)
    entries = services.inbound_journal_many(
        entries=[
            InboundRequest(
                source=Source.NATIVE,
                endpoint="orders-batch",
                topic="order.create",
                store_code=str(item.get("store", ""))[:50] if isinstance(item, dict) else "",
                headers=headers,
                body=json.dumps(item, ensure_ascii=False).encode(),
                remote_addr=_remote_addr(request),
                api_key_id=api_key.pk,
            )
            for item in items
        ]
    )
    outcomes = services.inbound_run_many(entry_ids=[e.pk for e in entries], api_key=api_key)
    orders = {
        o.pk: o
        for o in Order.objects.filter(pk__in=[x.order_id for x in outcomes if x.order_id]).only(
            "pk", "number", "external_id", "needs_attention"
        )
    }
    result = []
    for index, outcome in enumerate(outcomes):
        row: dict[str, Any] = {"index": index, "status": outcome.status}
        order = orders.get(outcome.order_id) if outcome.order_id else None
        if order is not None:
            row.update(
                id=order.pk,
                number=order.number,
                external_id=order.external_id,
                needs_attention=order.needs_attention,
            )
        if not outcome.ok:
            row["problem"] = outcome.problem
        result.append(row)
    return JsonResponse({"items": result}, json_dumps_params={"ensure_ascii": False})
