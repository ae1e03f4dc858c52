"""Intake: journal first, then process through the source's normaliser and the orders service.

Flow of one request:
1. `inbound_journal` stores it raw in its own committed transaction (before anything can fail).
2. `inbound_run` locks the entry, checks it is still `received`, normalises, maps codes, validates, and
   creates or updates the order; the entry is marked processed/flagged/failed in the same transaction as
   the order writes. A crash in between leaves the entry `received`; `inbound_recover` (run by the
   worker's integrations loop) processes it again later. The entry lock plus the `(store, external_id)`
   uniqueness give exactly one order per entry.
3. For callers that wrap step 2 in a transaction that may roll back (Idempotency-Key replays, failures
   raised to the caller), `inbound_settle` records the final answer on an entry still `received`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, OperationalError, connection, transaction
from django.utils import timezone
from pydantic import ValidationError as PydanticError

from shopkeeper.core.changes import Actor, apply_changes, record_change
from shopkeeper.core.db import bulk_update, joined_savepoints
from shopkeeper.core.problems import problem_type
from shopkeeper.core.scope import reference
from shopkeeper.customers import known as known_customers
from shopkeeper.orders import dictionaries
from shopkeeper.orders import services as orders
from shopkeeper.orders.inputs import delivery_input, line_input, order_input, payment_inputs
from shopkeeper.orders.models import DeliveryType, LineStatus, Order, Status
from shopkeeper.orders.schemas import OrderIn
from shopkeeper.orders.services import LineInput, PaymentInput
from shopkeeper.stores.models import Store

from . import sources
from .mapping import apply_mappings, record_unmapped
from .models import CodeMapping, EntryStatus, InboundRequest, SourceCredential
from .sources import Normalised, Rejected

KEPT_HEADERS = (
    "Content-Type",
    "User-Agent",
    "Idempotency-Key",
    "X-WC-Webhook-Topic",
    "X-WC-Webhook-Source",
    "X-WC-Webhook-ID",
    "X-WC-Webhook-Delivery-ID",
    "X-WC-Webhook-Signature",
    "X-Shopify-Topic",
    "X-Shopify-Shop-Domain",
    "X-Shopify-Webhook-Id",
    "X-Shopify-API-Version",
    "X-Shopify-Hmac-Sha256",
)
MAX_DEPTH = 32
QUIET_FLAGS = {"ping", "redelivery", "idempotent_replay"}  # recorded, but no reason to flag the entry


@dataclass
class Outcome:
    status: int
    order_id: int | None = None
    problem: dict[str, Any] | None = None
    flags: list[dict[str, Any]] = field(default_factory=list)
    created: Order | None = None  # an order created by this entry (written later inside a batch)

    def settle(self) -> Outcome:
        """Once the created order is written: its id, and whether it needs attention."""
        order = self.created
        if order is not None:
            self.order_id = order.pk
            if self.status == 201 and order.needs_attention:
                self.flags.append(
                    {"code": "needs_attention", "problems": [p.get("code") for p in order.problems]}
                )
            self.created = None
        return self

    @property
    def ok(self) -> bool:
        return self.status < 300


def problem_body(status: int, slug: str, detail: str, errors: list | None = None) -> dict[str, Any]:
    from http import HTTPStatus

    body: dict[str, Any] = {
        "type": problem_type(slug),
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
    }
    if errors is not None:
        body["errors"] = errors
    return body


def kept_headers(headers: Any) -> dict[str, str]:
    return {
        name: str(headers.get(name))[:500].replace("\x00", "") for name in KEPT_HEADERS if headers.get(name)
    }


# --- journal --------------------------------------------------------------------------------


def inbound_journal(
    *,
    source: str,
    endpoint: str,
    body: bytes,
    headers: dict[str, str],
    store_code: str = "",
    remote_addr: str | None = None,
    api_key_id: int | None = None,
) -> InboundRequest:
    """Store the request raw, committed at once (a durable transaction: never part of a caller's)."""
    module = sources.get(source)
    with transaction.atomic(durable=True):
        return InboundRequest.objects.create(
            source=source,
            endpoint=endpoint,
            store_code=store_code[:50].replace("\x00", ""),
            topic=module.topic(headers) if module else "",
            delivery_id=module.delivery_id(headers) if module else "",
            headers=headers,
            body=body,
            remote_addr=remote_addr,
            api_key_id=api_key_id,
            received_at=timezone.now(),
        )


def inbound_journal_many(*, entries: list[InboundRequest]) -> list[InboundRequest]:
    now = timezone.now()
    for e in entries:
        e.received_at = now
    with transaction.atomic(durable=True):
        created = InboundRequest.objects.bulk_create(entries)
    if created and created[0].pk is None:  # backends without RETURNING
        ids = InboundRequest.objects.filter(received_at=now).order_by("id").values_list("id", flat=True)
        for e, pk in zip(created, ids[len(ids) - len(created) :], strict=True):
            e.pk = pk
    return created


# --- parsing --------------------------------------------------------------------------------


def _depth_ok(value: Any) -> bool:
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_DEPTH:
            return False
        if isinstance(item, dict):
            stack += [(v, depth + 1) for v in item.values()]
        elif isinstance(item, list):
            stack += [(v, depth + 1) for v in item]
    return True


def parse_json(body: bytes) -> Any:
    if not body.strip():
        raise Rejected(400, "empty-body", "The request body is empty; send a JSON object.")
    try:
        data = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError:
        raise Rejected(400, "malformed-json", "The request body is not UTF-8.") from None
    except (ValueError, RecursionError):
        raise Rejected(400, "malformed-json", "The request body is not valid JSON.") from None
    try:
        dumped = json.dumps(data, ensure_ascii=False)
        dumped.encode("utf-8")
    except (UnicodeEncodeError, RecursionError, ValueError):
        raise Rejected(
            400, "malformed-json", "The request body has invalid unicode (lone surrogates)."
        ) from None
    if "\\u0000" in dumped:
        raise Rejected(422, "validation-error", "Text fields cannot contain NUL characters.")
    if not _depth_ok(data):
        raise Rejected(422, "too-deep", f"The JSON is nested deeper than {MAX_DEPTH} levels.")
    return data


def validate_order(payload: dict[str, Any]) -> OrderIn:
    try:
        return OrderIn.model_validate(payload)
    except PydanticError as exc:
        errors = [
            {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
            for e in exc.errors(include_url=False, include_input=False, include_context=False)
        ]
        raise Rejected(422, "validation-error", "The order has invalid fields.", errors) from None


def _store(code: str, store_ids: list[int] | None) -> Store:
    store = reference(("store", code), lambda: Store.objects.filter(code=code).first()) if code else None
    if store is None or (store_ids is not None and store.pk not in store_ids):
        raise Rejected(
            422,
            "unknown-store",
            f"Unknown store “{code}” (or not allowed for this key).",
            [{"loc": ["store"], "msg": "Unknown store.", "type": "unknown_store"}],
        )
    return store


def _key_and_stores(entry: InboundRequest, api_key: Any) -> tuple[Any, list[int] | None]:
    if entry.api_key_id is None:
        return None, None
    if api_key is None or api_key.pk != entry.api_key_id:
        from shopkeeper.accounts.models import ApiKey

        api_key = ApiKey.objects.filter(pk=entry.api_key_id).first()
        if api_key is None:
            raise Rejected(401, "unauthorized", "The API key of this request no longer exists.")
    return api_key, api_key.store_ids()


def _errors_of(exc: ValidationError) -> list[dict[str, Any]]:
    if hasattr(exc, "error_dict"):
        return [
            {"loc": [int(p) if p.isdigit() else p for p in k.split(".")] if k != "__all__" else [], "msg": m}
            for k, ms in exc.message_dict.items()
            for m in ms
        ]
    return [{"loc": [], "msg": m} for m in exc.messages]


# --- processing -----------------------------------------------------------------------------


# Source flags that a person must act on, so they go onto the order ("Needs attention") too.
ORDER_FLAGS = {"call_back"}


def _existing(store: Store, external_id: str) -> int | None:
    if not external_id:
        return None
    return Order.objects.filter(store=store, external_id=external_id).values_list("pk", flat=True).first()


def _same_item(line, data: LineInput) -> bool:
    sku = (data.sku or "").strip()
    return line.sku == sku if sku else line.name == (data.name or "").strip()[:300]


def _update_lines(order: Order, incoming: list[LineInput], actor: Actor) -> None:
    """The source's lines replace the order's: same SKU (or name) keeps its line with the new quantity
    and price, new items are added, items no longer sent are cancelled. Nothing happens when they agree."""
    active = [ln for ln in order.lines.all() if ln.status == LineStatus.ACTIVE]
    pool, keep, add = list(active), {}, []
    for data in incoming:
        match = next((ln for ln in pool if _same_item(ln, data)), None)
        if match is None:
            add.append(data)
        else:
            pool.remove(match)
            keep[match.pk] = data
    unchanged = (
        not add
        and not pool
        and all(
            ln.quantity == Decimal(str(keep[ln.pk].quantity))
            and (keep[ln.pk].price is None or ln.price == Decimal(str(keep[ln.pk].price)))
            for ln in active
        )
    )
    if not unchanged:
        orders.order_set_lines(order=order, lines=add, keep_ids=keep, actor=actor)


def _update_payments(order: Order, payments: list[PaymentInput], actor: Actor) -> None:
    """A payment the source reports is added once (matched by type and amount); a change of its state
    (pending -> paid) updates it. Payments are never removed by a source."""
    existing = list(order.payments.all())
    for data in payments:
        amount = Decimal(str(data.amount))
        match = next((p for p in existing if p.type_raw == data.type[:100] and p.amount == amount), None)
        if match is None:
            orders.payment_add(order=order, data=data, actor=actor)
        elif match.status != data.status:
            orders.payment_update(payment=match, actor=actor, status=data.status)


def _update(order_id: int, data: OrderIn, actor: Actor) -> list[dict[str, Any]]:
    """An update from the source (WooCommerce order.updated, Shopify orders/updated): lines, delivery
    (address, type, cost, tracking), payments and comment follow the source, then the status. An order
    already in a final status keeps its content; the source is told so in the entry's flags."""
    flags: list[dict[str, Any]] = []
    order = Order.objects.select_related("status__group", "store").get(pk=order_id)
    if order.is_final:
        flags.append({"code": "content_not_applied", "detail": "The order is in a final status."})
    else:
        if data.lines:
            _update_lines(order, [line_input(ln) for ln in data.lines], actor)
        if data.delivery is not None:
            delivery = delivery_input(data.delivery)
            values: dict[str, Any] = {"delivery_address": delivery.address}
            if delivery.type:
                delivery_type = dictionaries.by_code(DeliveryType).get(delivery.type)
                if delivery_type is not None:
                    values["delivery_type"] = delivery_type
            if delivery.service:
                values["delivery_service"] = delivery.service[:100]
            if delivery.cost is not None:
                values["delivery_cost"] = delivery.cost
            if delivery.tracking_number:
                values["tracking_number"] = delivery.tracking_number[:100]
            orders.order_update(order=order, actor=actor, **values)
        _update_payments(order, payment_inputs(data), actor)
        if data.comment != order.customer_comment:
            orders.order_update(order=order, actor=actor, customer_comment=data.comment)
        order = Order.objects.select_related("status__group", "store").get(pk=order_id)
    if data.status and data.status != order.status.code:
        status = dictionaries.by_code(Status).get(data.status)
        if status is None:
            flags.append({"code": "unknown_status", "detail": data.status})
        else:
            try:
                order = orders.order_set_status(order=order, status=status, actor=actor)
            except orders.TransitionNotAllowed:
                # Codes, not a sentence: the entry is read later, in the reader's language.
                flags.append({"code": "status_not_applied", "from": order.status.code, "to": status.code})
    return flags


def _process(entry: InboundRequest, *, actor: Actor | None, api_key: Any, verify: bool) -> Outcome:
    module = sources.get(entry.source)
    if module is None:
        raise Rejected(404, "unknown-source", f"There is no intake source “{entry.source}”.")
    api_key, store_ids = _key_and_stores(entry, api_key)
    body = bytes(entry.body or b"")
    if module.AUTH == "signature":
        store = _store(entry.store_code, None)
        if verify:
            secret = (
                SourceCredential.objects.filter(store=store, source=module.NAME)
                .values_list("secret", flat=True)
                .first()
            )
            if not module.verify(body, entry.headers, secret or ""):
                raise Rejected(
                    401, "bad-signature", "The webhook signature does not match this store's secret."
                )
        if module.NAME == "woocommerce" and body.startswith(b"webhook_id="):
            return Outcome(200, flags=[{"code": "ping"}])
    data = parse_json(body)
    normalised: Normalised = module.normalise(data, topic=entry.topic, store_code=entry.store_code)
    payload = normalised.payload
    if module.AUTH != "signature":
        code = payload.get("store")
        store = _store(code if isinstance(code, str) else "", store_ids)
    if module.NAME == "shopify" and entry.delivery_id:
        first = (
            InboundRequest.objects.filter(
                source=entry.source,
                delivery_id=entry.delivery_id,
                status__in=[EntryStatus.PROCESSED, EntryStatus.FLAGGED],
            )
            .exclude(pk=entry.pk)
            .values("pk", "order_id")
            .first()
        )
        if first:
            return Outcome(200, order_id=first["order_id"], flags=[{"code": "redelivery", "of": first["pk"]}])
    unknown = apply_mappings(
        store_id=store.pk, source=module.NAME, payload=payload, defaults=module.DEFAULT_MAPPINGS
    )
    data_in = validate_order(payload)
    if actor is None:
        actor = Actor.for_api_key(api_key, source="intake") if api_key else Actor.system(module.NAME)
    flags = list(normalised.flags)
    if unknown:
        record_unmapped(store_id=store.pk, source=module.NAME, codes=unknown)
        flags += [{"code": "unmapped_code", "kind": k, "value": c} for k, c in unknown]
    found = _existing(store, data_in.external_id)
    if found is None and data_in.external_id:
        pending = orders.pending_order(store, data_in.external_id)
        if pending is not None:  # sent twice in one batch: the second answers with the first's order
            return Outcome(200, flags=flags, created=pending)
    if found is not None:
        if normalised.mode == "upsert":
            flags += _update(found, data_in, actor)
        return Outcome(200, order_id=found, flags=flags)
    try:
        with transaction.atomic(), joined_savepoints():  # one savepoint, for the race below
            order_data = order_input(data_in, store)
            order_data.problems = [f for f in normalised.flags if f.get("code") in ORDER_FLAGS]
            order = orders.order_create(data=order_data, actor=actor)
    except IntegrityError:  # a parallel request with the same (store, external_id) won
        found = _existing(store, data_in.external_id)
        if found is None:
            raise
        if normalised.mode == "upsert":
            flags += _update(found, data_in, actor)
        return Outcome(200, order_id=found, flags=flags)
    return Outcome(201, flags=flags, created=order)


def _lock(entry_id: int) -> InboundRequest:
    qs = InboundRequest.objects.all()
    if connection.features.has_select_for_update:
        qs = qs.select_for_update()
    return qs.get(pk=entry_id)


def _stored_outcome(entry: InboundRequest) -> Outcome:
    if entry.status == EntryStatus.FAILED:
        return Outcome(entry.http_status or 422, problem=entry.result)
    return Outcome(
        200 if entry.http_status == 201 else (entry.http_status or 200),
        order_id=entry.order_id,
        flags=entry.result.get("flags", []),
    )


MARKED_FIELDS = ["status", "result", "error", "http_status", "order", "processed_at", "attempts"]


def _mark(entry: InboundRequest, outcome: Outcome) -> None:
    _set_result(entry, outcome)
    entry.save(update_fields=MARKED_FIELDS)


def _set_result(entry: InboundRequest, outcome: Outcome) -> None:
    now = timezone.now()
    if not outcome.ok:
        entry.status = EntryStatus.FAILED
        entry.result = outcome.problem or {}
        entry.error = (outcome.problem or {}).get("detail", "")[:2000]
    else:
        flagged = [f for f in outcome.flags if f.get("code") not in QUIET_FLAGS]
        entry.status = EntryStatus.FLAGGED if flagged else EntryStatus.PROCESSED
        entry.result = {"flags": outcome.flags}
        entry.error = ""
    entry.http_status = outcome.status
    entry.order_id = outcome.order_id
    entry.processed_at = now


def _attempt(
    entry: InboundRequest, *, actor: Actor | None, api_key: Any, verify: bool, joined: bool = False
) -> Outcome:
    """Process a locked entry under a savepoint; a refusal becomes the entry's answer. `joined`: the
    services' own atomic blocks join this savepoint instead of opening theirs (in a batch, where a
    database error fails the whole set anyway)."""
    entry.attempts += 1
    try:
        with transaction.atomic(), joined_savepoints(joined):
            return _process(entry, actor=actor, api_key=api_key, verify=verify)
    except Rejected as exc:
        return Outcome(exc.status, problem=problem_body(exc.status, exc.slug, exc.detail, exc.errors))
    except ValidationError as exc:  # the orders service refused (no lines and no customer, ...)
        errors = _errors_of(exc)
        detail = errors[0]["msg"] if len(errors) == 1 else "The order has invalid fields."
        return Outcome(422, problem=problem_body(422, "validation-error", detail, errors))


@transaction.atomic(savepoint=False)  # its own failures are caught inside, under a savepoint
def inbound_run(
    *, entry_id: int, actor: Actor | None = None, api_key: Any = None, verify: bool = True
) -> Outcome:
    """Process a journaled entry once. An entry already processed answers with its stored result."""
    entry = _lock(entry_id)
    if entry.status != EntryStatus.RECEIVED:
        return _stored_outcome(entry)
    outcome = _attempt(entry, actor=actor, api_key=api_key, verify=verify).settle()
    _mark(entry, outcome)
    return outcome


BATCH_ATTEMPTS = 3


def inbound_run_many(*, entry_ids: list[int], api_key: Any = None) -> list[Outcome]:
    """Process journaled entries together (the batch endpoint): one transaction, each entry under its
    own savepoint, and the orders they create written as one set (`orders.creating_together`).

    If the set cannot be written (a parallel request took one of its external ids, a deadlock), nothing
    of it stays; it is tried again, and after that each entry is processed on its own."""
    for _attempt_no in range(BATCH_ATTEMPTS):
        try:
            return _run_many(entry_ids, api_key)
        except (IntegrityError, OperationalError):
            continue
    return [inbound_run(entry_id=pk, api_key=api_key) for pk in entry_ids]


def _warm(entries: list[InboundRequest], api_key: Any) -> None:
    """Read what the batch's native payloads name at once: the offers of their SKUs and the customers
    of their phones and emails (anything else is found one order at a time)."""
    skus: set[str] = set()
    buyers: dict[str, tuple[list[str], list[str]]] = {}
    for entry in entries:
        try:
            payload = json.loads(bytes(entry.body or b""))
            lines = payload.get("lines") or []
            skus |= {str(ln["sku"]) for ln in lines if isinstance(ln, dict) and ln.get("sku")}
            buyer = payload.get("customer") or {}
            phones, emails = buyers.setdefault(str(payload.get("store", "")), ([], []))
            for key, into in (("phone", phones), ("email", emails)):
                more = buyer.get(f"{key}s")
                values = [buyer.get(key), *(more if isinstance(more, list) else [])]
                into += [v for v in values if isinstance(v, str) and v]
        except (ValueError, AttributeError, TypeError):
            continue
    orders.warm_catalog(skus)
    store_ids = api_key.store_ids() if api_key is not None else None
    for code, (phones, emails) in buyers.items():
        try:
            store = _store(code, store_ids)
        except Rejected:
            continue
        known_customers.warm(store, phones=phones, emails=emails)


@transaction.atomic
def _run_many(entry_ids: list[int], api_key: Any) -> list[Outcome]:
    qs = InboundRequest.objects.filter(pk__in=entry_ids).order_by("pk")
    if connection.features.has_select_for_update:
        qs = qs.select_for_update()
    entries = {e.pk: e for e in qs}
    outcomes: dict[int, Outcome] = {}
    fresh = [entries[pk] for pk in entry_ids if pk in entries and entries[pk].status == EntryStatus.RECEIVED]
    with orders.creating_together() as batch:
        _warm(fresh, api_key)
        for entry in fresh:
            mark = batch.mark()
            outcome = _attempt(entry, actor=None, api_key=api_key, verify=True, joined=True)
            if not outcome.ok:
                batch.discard(mark)
            outcomes[entry.pk] = outcome
    for entry in fresh:
        _set_result(entry, outcomes[entry.pk].settle())
    bulk_update(fresh, MARKED_FIELDS)
    for pk in entry_ids:  # entries another run had already answered
        if pk not in outcomes:
            outcomes[pk] = _stored_outcome(entries[pk])
    return [outcomes[pk] for pk in entry_ids]


@transaction.atomic
def inbound_settle(*, entry_id: int, status: int, body: dict[str, Any]) -> None:
    """Record the answer given for an entry whose processing was rolled back with its caller's
    transaction (an Idempotency-Key replay or conflict, a refusal)."""
    entry = _lock(entry_id)
    if entry.status != EntryStatus.RECEIVED:
        return
    if status < 300:
        outcome = Outcome(status, order_id=body.get("id"), flags=[{"code": "idempotent_replay"}])
        if outcome.order_id and not Order.objects.filter(pk=outcome.order_id).exists():
            outcome.order_id = None
    else:
        outcome = Outcome(status, problem=body)
    entry.attempts += 1
    _mark(entry, outcome)


def inbound_recover(*, older_than: float | None = None, batch: int = 100) -> int:
    """Process entries left `received` for longer than `older_than` seconds (a crash between journal and
    processing). Run by the worker; returns how many were processed."""
    if older_than is None:
        older_than = getattr(settings, "SHOPKEEPER_INTAKE_RECOVER_AFTER", 30)
    cutoff = timezone.now() - timedelta(seconds=older_than)
    ids = list(
        InboundRequest.objects.filter(status=EntryStatus.RECEIVED, received_at__lte=cutoff)
        .order_by("id")
        .values_list("id", flat=True)[:batch]
    )
    for entry_id in ids:
        inbound_run(entry_id=entry_id)
    return len(ids)


@transaction.atomic
def inbound_replay(*, entry: InboundRequest, actor: Actor, body: bytes | None = None) -> Outcome:
    """Run an entry again (after a mapping was fixed, or with an edited payload). A replay by a person
    does not re-check the source's signature: the signature covered the original body."""
    entry = _lock(entry.pk)
    changes: dict[str, Any] = {"status": [entry.status, EntryStatus.RECEIVED]}
    if body is not None and body != bytes(entry.body or b""):
        if entry.original_body is None:
            entry.original_body = bytes(entry.body or b"")
        entry.body = body
        changes["body"] = ["…", "edited"]
    entry.status = EntryStatus.RECEIVED
    entry.save(update_fields=["status", "body", "original_body"])
    record_change(
        entity="inbound_request", entity_id=entry.pk, action="replayed", actor=actor, changes=changes
    )
    return inbound_run(entry_id=entry.pk, actor=actor, verify=False)


# --- settings -------------------------------------------------------------------------------


@transaction.atomic
def credential_set(*, store: Store, source: str, secret: str, actor: Actor) -> SourceCredential:
    credential, created = SourceCredential.objects.get_or_create(
        store=store, source=source, defaults={"secret": secret}
    )
    if not created and credential.secret != secret:
        credential.secret = secret
        credential.save(update_fields=["secret", "updated_at"])
    record_change(
        entity="source_credential",
        entity_id=credential.pk,
        action="created" if created else "updated",
        actor=actor,
        changes={"secret": ["***", "***"], "source": [None, source], "store": [None, store.code]},
    )
    return credential


@transaction.atomic
def mapping_set(
    *, store: Store, source: str, kind: str, external_code: str, internal_code: str, actor: Actor
) -> CodeMapping:
    mapping, created = CodeMapping.objects.get_or_create(
        store=store, source=source, kind=kind, external_code=external_code.strip()[:100]
    )
    changed = apply_changes(mapping, {"internal_code": internal_code.strip()})
    if changed:
        mapping.save(update_fields=list(changed))
    if changed or created:
        record_change(
            entity="code_mapping",
            entity_id=mapping.pk,
            action="created" if created else "updated",
            actor=actor,
            changes={"external_code": [None, mapping.external_code], **changed},
        )
    return mapping


@transaction.atomic
def mapping_delete(*, mapping: CodeMapping, actor: Actor) -> None:
    record_change(
        entity="code_mapping",
        entity_id=mapping.pk,
        action="deleted",
        actor=actor,
        changes={"external_code": [mapping.external_code, None]},
    )
    mapping.delete()
