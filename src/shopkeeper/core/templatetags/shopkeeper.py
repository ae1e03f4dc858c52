"""Template filters shared by every app: phone formatting and readable change-log entries."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from django import template
from django.core.exceptions import FieldDoesNotExist
from django.template.base import Variable, VariableDoesNotExist, render_value_in_context
from django.template.context import Context
from django.template.defaultfilters import date
from django.urls import reverse
from django.utils.formats import localize
from django.utils.html import conditional_escape, escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import capfirst
from django.utils.timezone import template_localtime
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from shopkeeper.core.dates import formatter
from shopkeeper.core.models import Change
from shopkeeper.core.scope import reference

register = template.Library()

ACTIONS = {
    "created": _("created"),
    "updated": _("changed"),
    "status_changed": _("status changed"),
    "lines_changed": _("items changed"),
    "payment_added": _("payment added"),
    "payment_changed": _("payment changed"),
    "commented": _("comment"),
    "merged": _("merged"),
    "stock_reserved": _("stock reserved"),
    "stock_released": _("stock released"),
    "stock_written_off": _("stock written off"),
    "password_changed": _("password changed"),
    "revoked": _("revoked"),
    "deleted": _("deleted"),
    "contacts_added": _("contacts added"),
    "contact_linked": _("contact person added"),
    "contact_unlinked": _("contact person removed"),
    "tagged": _("tags changed"),
    "erased": _("personal data erased"),
    "duplicate_dismissed": _("not a duplicate"),
    "two_factor_enabled": _("two-factor sign-in turned on"),
    "two_factor_disabled": _("two-factor sign-in turned off"),
    "two_factor_reset": _("two-factor sign-in reset"),
    "recovery_codes_regenerated": _("new recovery codes"),
}
ENTITIES = {
    "order": _("Order"),
    "customer": _("Customer"),
    "company": _("Company"),
    "user": _("User"),
    "store": _("Store"),
    "product": _("Product"),
    "offer": _("Offer"),
    "note": _("Note"),
}


PROBLEMS = {
    "unknown_sku": _("A SKU is not in the catalog; the line is kept as free text."),
    "price_mismatch": _("A price differs from the catalog."),
    "no_price": _("An offer has no price of this price type."),
    "out_of_stock": _("Not enough stock: a line is not fully reserved."),
    "unknown_delivery_type": _("The delivery type is not known; map it in Settings."),
    "unknown_payment_type": _("The payment type is not known; map it in Settings."),
    "unknown_channel": _("The channel is not known; map it in Settings."),
    "unknown_status": _("The status is not known; the order starts in the first status."),
    "unknown_order_type": _("The order type is not known; the default type is used."),
    "invalid_phone": _("The phone number looks invalid; it is kept as typed."),
    "invalid_email": _("The email address looks invalid; it is kept as typed."),
    "possible_duplicate_customer": _("The customer may be a duplicate; check the duplicates queue."),
    "call_back": _("Web form: call the customer back."),
    "invalid_custom_field": _("A custom field has an invalid value; it is kept as sent."),
}


# A problem in full, worded from the specifics it keeps as `params` (orders.services.problem) in the
# reader's language; its stored `detail` is in the language of whoever created the order.
PROBLEM_MESSAGES = {
    "unknown_sku": _("SKU “%(sku)s” is not in the catalog; kept as a free-text line."),
    "no_price": _("“%(sku)s” has no price of this price type."),
    "price_mismatch": _("“%(sku)s” sent at %(sent)s; the catalog says %(catalog)s."),
    "out_of_stock": _("“%(sku)s”: %(reserved)s of %(quantity)s reserved."),
    "unknown_delivery_type": _("Delivery type “%(code)s” is not known; map it in Settings."),
    "unknown_payment_type": _("Payment type “%(code)s” is not known; map it in Settings."),
    "unknown_channel": _("Channel “%(code)s” is not known; map it in Settings."),
    "unknown_status": _("Status “%(code)s” is not known; the order starts in the first status."),
    "unknown_order_type": _("Order type “%(code)s” is not known; the default type is used."),
    "invalid_custom_field": _("Custom field “%(field)s” has an invalid value; it is kept as sent."),
}
MONEY_PARAMS = frozenset({"sent", "catalog"})
QUANTITY_PARAMS = frozenset({"reserved", "quantity"})


def stored_number(value: Any, *, quantity: bool = False) -> str:
    """A number kept as text in the change log or a problem ("469.97") as the card writes numbers: with
    the reader's decimal separator, money with its cents, a quantity without trailing zeros (2, not
    2.000). Anything that is not a number reads as stored."""
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    return localize(number.normalize() if quantity else number)


def _problem_param(name: str, value: Any) -> str:
    if name not in MONEY_PARAMS and name not in QUANTITY_PARAMS:
        return str(value)
    return stored_number(value, quantity=name in QUANTITY_PARAMS)


@register.filter
def problem_text(problem: dict | str) -> str:
    """What a person reads for an order problem (or a bare problem code), in their own language: the
    message for its code with the specifics it keeps. A problem without them (stored before they were
    kept, or of a code we have no message for) reads as its stored detail, else as the text for its
    code; a code whose text says all there is (a call-back) reads as that text. Plain text: the
    template escapes it, payload values included."""
    if not isinstance(problem, dict):
        problem = {"code": str(problem)}
    code = str(problem.get("code") or "")
    message, params = PROBLEM_MESSAGES.get(code), problem.get("params")
    if message is not None and isinstance(params, dict):
        try:
            return str(message) % {name: _problem_param(name, v) for name, v in params.items()}
        except (KeyError, TypeError, ValueError):
            pass  # params of another shape: the stored detail says it
    if code in PROBLEMS and code not in PROBLEM_MESSAGES:
        return str(PROBLEMS[code])
    return str(problem.get("detail") or PROBLEMS.get(code, code.replace("_", " ")))


@register.filter
def phone(value: str) -> str:
    """+79151234567 -> +7 915 123-45-67; anything unparseable is shown as it was typed."""
    from shopkeeper.customers.normalize import format_phone

    return format_phone(value, value) if value else ""


_PK = 2_147_483_647  # a placeholder id (its digits cannot appear in a route)


def url_around_id(viewname: str) -> tuple[str, str]:
    """The URL of `viewname` for an id, as the escaped text before and after the id: one `reverse` per
    list instead of one per row (`f"{before}{pk}{after}"`)."""
    url = reverse(viewname, args=[_PK])
    before, _sep, after = url.rpartition(str(_PK))
    return escape(before), escape(after)


@register.filter
def action_label(action: str) -> str:
    return ACTIONS.get(action, action.replace("_", " "))


@register.filter
def entity_label(entity: str) -> str:
    return ENTITIES.get(entity, entity.replace("_", " "))


_MODELS: dict[str, Any] = {}


def _model_for(entity: str):
    if not _MODELS:
        from django.apps import apps

        for model in apps.get_models():
            _MODELS.setdefault(model._meta.model_name, model)
    return _MODELS.get(_MODEL_NAMES.get(entity, entity.replace("_", "")))


_MODEL_NAMES = {"custom_field": "customfielddefinition"}  # entities named otherwise than their model


@register.filter
def field_label(field: str, entity: str = "") -> str:
    """A changed field's name as the forms call it (`stock_state` on an order -> "Stock")."""
    model = _model_for(entity) if entity else None
    if model is not None:
        try:
            verbose = getattr(model._meta.get_field(field), "verbose_name", None)
        except FieldDoesNotExist:  # not a model field: payment, comment ...
            verbose = None
        if verbose:
            return str(verbose).capitalize()
    kind, dot, code = field.partition(".")
    if dot and kind == "price":  # a price of one price type (catalog offers: "price.retail")
        from shopkeeper.catalog.selectors import price_type_names

        return gettext("Price (%(type)s)") % {"type": price_type_names().get(code, code)}
    return str(FIELDS.get(field, field.replace("_", " ").capitalize()))


# Changed fields that are no model field of their entity (lists of contacts, links, counts).
FIELDS = {
    "lines": _("Items"),
    "payment": _("Payment"),
    "comment": _("Comment"),
    "reservations": _("Reservations"),
    "role": _("Role"),
    "stores": _("Stores"),
    "name": _("Name"),
    "phones": _("Phones"),
    "emails": _("Emails"),
    "addresses": _("Addresses"),
    "tags": _("Tags"),
    "contact": _("Contact person"),
    "tax_ids": _("Tax ids"),
    "warehouses": _("Warehouses"),
    "rows": _("Rows"),
}


@register.simple_tag
def change_text(value: Any, entity: str, field: str) -> str:
    """`change_value`, with codes an app has given labels for (an order's status code -> its name); a
    list is read item by item (a customer's phones, each as the card shows it)."""
    from shopkeeper.core.changes import value_label

    label = value_label(entity, field)
    if label is not None and isinstance(value, list):
        return ", ".join(change_text(v, entity, field) for v in value) or "—"
    if label is not None and value not in (None, ""):
        try:
            return label(value)
        except (KeyError, ValueError, TypeError):
            pass  # an old or unknown value is shown as stored
    return change_value(value)


@register.filter
def change_value(value: Any) -> str:
    """A change-log value as a person reads it: lists joined, mappings as `key: value`."""
    if value is None or value == "":
        return "—"
    if isinstance(value, list):
        return ", ".join(change_value(v) for v in value) or "—"
    if isinstance(value, dict):
        return "; ".join(f"{k}: {change_value(v)}" for k, v in value.items()) or "—"
    if value is True:
        return str(_("yes"))
    if value is False:
        return str(_("no"))
    return str(value)


# --- The timeline, rendered in Python ----------------------------------------------------------------
# The cards show up to a hundred changes with their fields; as a template loop that cost 1-3 ms a card.
# The markup and the lookups are the template's own (`Variable` resolves `c.changes.items` the way the
# template did, dict key first), every value rendered and escaped by `render_value_in_context`.

_VARIABLES: dict[str, Variable] = {}
_MISSING = object()
_ICONS = {
    "user": '<i class="bi bi-person"></i>',
    "api_key": '<i class="bi bi-key"></i>',
    "rule": '<i class="bi bi-lightning"></i>',
}
_GEAR = '<i class="bi bi-gear"></i>'


_CHANGE_FIELDS = frozenset({"at", "entity", "action", "changes", "actor_type", "actor_label", "source"})


def _user_names() -> dict[int, str]:
    """Active users' names as people read them (full name, else username), kept with the process's
    reference rows (`core.scope`) as the users are."""
    from shopkeeper.accounts.selectors import active_users  # accounts builds on core, not the reverse

    return reference(
        ("user_names",), lambda: {u.pk: u.get_full_name() or u.get_username() for u in active_users()}
    )


@register.filter
def actor_name(change: Change, names: dict[int, str] | None = None) -> str:
    """Who made a change, as a timeline shows them: a user by name while their account is active, else
    (an API key, a rule, the system, a former user) by the label stored with the change."""
    if change.actor_type == "user" and change.actor_id is not None:
        found = (names if names is not None else _user_names()).get(change.actor_id)
        if found:
            return found
    return change.actor_label


def _lookup(path: str, scope: dict[str, Any]) -> Any:
    """`Variable(path).resolve(scope)`, or `_MISSING`. The steps a timeline takes on a change row and on
    the JSON it stores (a field of the row, a key of a dict that has it, an index of a list) are taken
    here directly, with the same result (none of these values is callable); any other goes to
    `Variable`, which also reads a missing key as an attribute (`changes.items`)."""
    root, *bits = path.split(".")
    current = scope[root]
    for bit in bits:
        kind = type(current)
        if kind is dict and bit in current:
            current = current[bit]
        elif (kind is list or kind is tuple) and bit.isdigit():
            index = int(bit)
            if index >= len(current):
                return _MISSING
            current = current[index]
        elif isinstance(current, Change) and bit in _CHANGE_FIELDS:
            current = getattr(current, bit)
        else:
            return _resolve(path, scope)
    return current


def _resolve(path: str, scope: dict[str, Any]) -> Any:
    variable = _VARIABLES.get(path)
    if variable is None:
        variable = _VARIABLES[path] = Variable(path)
    try:
        return variable.resolve(scope)
    except VariableDoesNotExist:
        return _MISSING


def once(memo: dict, key: tuple, build: Callable[[], str]) -> str:
    """`memo[key]`, built by `build()` the first time: what a rendering of rows repeats, built once."""
    found = memo.get(key)
    if found is None:
        found = memo[key] = build()
    return found


_NOTHING = (None, "", [], {})


def _timeline_entry(c: Any, entity: str, context: Context, memo: dict) -> str:
    """One `<li>`. `memo` holds what a rendering repeats from entry to entry (labels of fields and
    actions, month names, values such as a status's name), each built once per rendering."""
    invalid = context.template.engine.string_if_invalid if context.template else ""

    def value(path: str, scope: dict[str, Any]) -> Any:
        """`{{ path }}` / a tag argument: the value, or the engine's invalid string."""
        found = _lookup(path, scope)
        return invalid if found is _MISSING else found

    def test(path: str, scope: dict[str, Any]) -> Any:
        """A variable in `{% if %}`: None when it does not resolve."""
        found = _lookup(path, scope)
        return None if found is _MISSING else found

    def show(obj: Any) -> str:
        if type(obj) is str:  # what render_value_in_context does with a plain string
            return escape(obj) if context.autoescape else obj
        return render_value_in_context(obj, context)

    def tag_output(text: str) -> str:
        """What a simple tag writes (escaped when autoescaping)."""
        return conditional_escape(text) if context.autoescape else text

    def change(value: Any, entity_arg: Any, field: str) -> str:
        """`{% change_text value c.entity field %}`, once per distinct value (its type in the key: True
        and 1 are equal keys but read "yes" and "1")."""
        if isinstance(value, list | dict):
            return tag_output(change_text(value, entity_arg, field))
        key = ("value", type(value), value, entity_arg, field)
        return once(memo, key, lambda: tag_output(change_text(value, entity_arg, field)))

    scope = {"c": c}
    at = test("c.at", scope)
    if isinstance(at, dt.datetime):  # `|date:"SHORT_DATETIME_FORMAT"`, compiled once per language
        at = show(formatter()(template_localtime(at, use_tz=context.use_tz)))
    else:
        at = show(
            date(template_localtime(at, use_tz=context.use_tz), "SHORT_DATETIME_FORMAT")
            if at is not None
            else invalid
        )
    icon = _ICONS.get(test("c.actor_type", scope), _GEAR)
    source = test("c.source", scope)
    names = memo.get("users")
    if names is None:
        names = memo["users"] = _user_names()
    actor = show(actor_name(c, names))
    head = (
        f'\n  <li class="sk-timeline-item">\n    <div class="small text-body-secondary">{at} · {icon} '
        f"{actor}{f' · {show(source)}' if source else ''}</div>\n"
    )
    c_entity = test("c.entity", scope)
    action = test("c.action", scope)

    def what() -> str:
        label = action_label(value("c.action", scope))
        if c_entity == entity:  # the card's own record: "Created", not "created"
            return show(capfirst(label))
        return (
            f'<span class="fw-semibold">{show(entity_label(value("c.entity", scope)))}</span>{{name}} '
            f"{show(label)}"
        )

    if isinstance(action, str) and isinstance(c_entity, str):
        what_html = once(memo, ("what", action, c_entity), what)
    else:
        what_html = what()
    name = None
    if c_entity != entity:  # another record: named when its app says how ("Order KV-1021 ...")
        name = memo["names"].get(c_entity, {}).get(test("c.entity_id", scope))
        what_html = what_html.replace(
            "{name}", f' <a href="{escape(name[1])}">{escape(name[0])}</a>' if name else "", 1
        )
    if action == "commented":
        body = f'<div class="sk-comment">{show(value("c.changes.comment.1", scope))}</div>\n    '
    elif c_entity == "note":
        body = f'<div class="sk-comment">{show(value("c.changes.text.1", scope))}</div>\n    '
    elif test("c.changes", scope):
        items = test("c.changes.items", scope) or []
        entity_arg = value("c.entity", scope)
        rows = []
        for field, pair in items:
            pair_scope = {"pair": pair}
            old = test("pair.0", pair_scope)
            if old is None and test("pair.1", pair_scope) in _NOTHING:
                continue  # nothing before, nothing after: a created record's empty field says nothing
            if name and old is None and field == "number":
                continue  # a named record's new number: the name above says it
            before = (
                f"<del>{change(value('pair.0', pair_scope), entity_arg, field)}</del> → "
                if old is not None
                else ""
            )
            after = change(value("pair.1", pair_scope), entity_arg, field)
            label = once(
                memo, ("field", field, entity_arg), lambda field=field: show(field_label(field, entity_arg))
            )
            rows.append(f'<li><span class="text-body-secondary">{label}</span>: {before}{after}</li>')
        body = f'<ul class="small mb-0 ps-3">{"".join(rows)}</ul>'
    else:
        body = ""
    return f"{head}    <div>{what_html}</div>\n    {body}\n  </li>\n"


@register.simple_tag(takes_context=True)
def timeline_entries(context: Context, entries: Any, entity: str) -> SafeString:
    """The `<li>`s of core/timeline.html for `entries` (changes) on the card of an `entity`. Entries about
    another record whose app names its records are shown for the records the user may open only (a
    manager who sees their own orders does not read a colleague's order on the customer's card)."""
    entries = list(entries or [])
    names = _record_names(entries, entity, context.get("user"))  # only the kinds an app names
    entries = [
        c
        for c in entries
        if not isinstance(c, Change) or c.entity not in names or c.entity_id in names[c.entity]
    ]
    if not entries:
        return mark_safe(
            f'\n  <li class="small text-body-secondary">{escape(gettext("Nothing yet."))}</li>\n'
        )
    memo: dict = {"names": names}
    return mark_safe("".join(_timeline_entry(c, entity, context, memo) for c in entries))  # rendered escaped


def _record_names(entries: list, entity: str, user: Any) -> dict[str, dict[int, tuple[str, str]]]:
    """entity -> {id: (text, url)} of the other records the entries are about that the user may open,
    one query per kind."""
    from shopkeeper.core.changes import record_names

    ids: dict[str, set[int]] = {}
    for c in entries:
        if isinstance(c, Change) and c.entity != entity:
            ids.setdefault(c.entity, set()).add(c.entity_id)
    names = {}
    for other, other_ids in ids.items():
        read = record_names(other)
        if read is not None:
            names[other] = read(other_ids, user)
    return names


@register.filter
def minutes_as_duration(value: int | None) -> str:
    """A time limit in minutes as people say it: "7 days", "1 day 2 h", "45 min" ("" for none)."""
    if not value:
        return ""
    days, rest = divmod(int(value), 1440)
    hours, minutes = divmod(rest, 60)
    parts = []
    if days:
        parts.append(ngettext("%(n)d day", "%(n)d days", days) % {"n": days})
    if hours:
        parts.append(gettext("%(n)d h") % {"n": hours})
    if minutes:
        parts.append(gettext("%(n)d min") % {"n": minutes})
    return " ".join(parts)
