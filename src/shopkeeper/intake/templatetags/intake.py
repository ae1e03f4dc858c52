"""What a person reads for an intake entry's result: its flags as sentences, not stored codes."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext as _

from shopkeeper.core.templatetags.shopkeeper import PROBLEMS, problem_text
from shopkeeper.orders.services import transition_refused_text

from ..models import MappingKind

register = template.Library()


def _flag_text(flag: dict[str, Any]) -> list[str]:
    code = flag.get("code", "")
    detail = str(flag.get("detail") or "")
    if code == "needs_attention":
        # Only codes are kept: the text for each, as the card says it without specifics.
        return [problem_text(p) for p in flag.get("problems") or []]
    if code == "unmapped_code":
        kind = flag.get("kind", "")
        label = MappingKind(kind).label if kind in MappingKind.values else kind
        return [
            _("%(kind)s “%(code)s” is not mapped to one of ours yet.")
            % {"kind": label, "code": flag.get("value", "")}
        ]
    if code == "status_not_applied" and "to" in flag:
        reason = transition_refused_text(str(flag.get("from")), str(flag["to"]))
        return [_("The status was not changed: %(reason)s") % {"reason": reason}]
    texts = {
        "content_not_applied": _("The order is in a final status: the changes were not applied."),
        "unknown_status": _("The status “%(code)s” is not known.") % {"code": detail},
        "status_not_applied": _("The status was not changed: %(reason)s") % {"reason": detail},
        "ping": _("A test request from the source."),
        "redelivery": _("The source sent this again (entry #%(entry)s).") % {"entry": flag.get("of", "")},
        "idempotent_replay": _("A repeat of an earlier request: the order was not created twice."),
    }
    if code in texts:
        return [str(texts[code])]
    if code in PROBLEMS:  # a flag that goes onto the order (a call-back) reads as it does there
        return [problem_text(flag)]
    return [detail or code.replace("_", " ")]


# An unmapped code also leaves its order a problem saying the same thing less precisely.
SAID_BY_UNMAPPED = {
    MappingKind.DELIVERY: "unknown_delivery_type",
    MappingKind.PAYMENT: "unknown_payment_type",
    MappingKind.CHANNEL: "unknown_channel",
    MappingKind.STATUS: "unknown_status",
}


@register.filter
def flag_texts(result: Any) -> list[str]:
    """The entry's flags as sentences, each once (a web form's call-back is a flag and a problem)."""
    flags = result.get("flags") if isinstance(result, dict) else None
    flags = [f for f in flags if isinstance(f, dict)] if isinstance(flags, list) else []
    said = {SAID_BY_UNMAPPED.get(f.get("kind")) for f in flags if f.get("code") == "unmapped_code"}
    texts: list[str] = []
    for flag in flags:
        if flag.get("code") == "needs_attention":
            flag = {**flag, "problems": [p for p in flag.get("problems") or [] if p not in said]}
        texts += [t for t in _flag_text(flag) if t not in texts]
    return texts
