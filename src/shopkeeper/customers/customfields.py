"""Typed custom fields: values stored in JSON, validated against their definitions."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.formats import date_format, localize
from django.utils.translation import gettext as _

from shopkeeper.core.scope import reference

from .models import CustomFieldDefinition, FieldType


def definitions(entity: str) -> list[CustomFieldDefinition]:
    return reference(
        ("custom_field_definitions", entity),
        lambda: list(CustomFieldDefinition.objects.filter(entity=entity)),
    )


def _coerce(defn: CustomFieldDefinition, value: Any) -> Any:
    if value in (None, ""):
        return None
    match defn.type:
        case FieldType.STRING | FieldType.TEXT:
            text = str(value)
            if defn.type == FieldType.STRING and len(text) > 255:
                raise ValidationError(_("At most 255 characters."))
            return text
        case FieldType.NUMBER:
            try:
                number = Decimal(str(value))
            except InvalidOperation:
                raise ValidationError(_("Enter a number.")) from None
            if not number.is_finite():
                raise ValidationError(_("Enter a number."))
            return str(number)
        case FieldType.BOOLEAN:
            if isinstance(value, bool):
                return value
            if str(value).lower() in {"true", "1", "yes", "on"}:
                return True
            if str(value).lower() in {"false", "0", "no", "off"}:
                return False
            raise ValidationError(_("Enter yes or no."))
        case FieldType.DATE:
            if isinstance(value, dt.date):
                return value.isoformat()
            try:
                return dt.date.fromisoformat(str(value)).isoformat()
            except ValueError:
                raise ValidationError(_("Enter a date as YYYY-MM-DD.")) from None
        case FieldType.CHOICE:
            codes = [c.get("code") for c in defn.choices if isinstance(c, dict)]
            if value not in codes:
                raise ValidationError(_("Choose one of: %(codes)s.") % {"codes": ", ".join(map(str, codes))})
            return value
    raise ValidationError(_("Unknown field type."))


def validate_custom_fields(entity: str, values: dict[str, Any] | None) -> dict[str, Any]:
    """Return the cleaned values; raise ValidationError({code: msg}) listing every bad field."""
    values = values or {}
    defs = {d.code: d for d in definitions(entity)}
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {}
    for code in values:
        if code not in defs:
            errors[code] = [_("There is no custom field with this code.")]
    for code, defn in defs.items():
        try:
            value = _coerce(defn, values.get(code))
        except ValidationError as exc:
            errors[code] = exc.messages
            continue
        if value is None:
            if defn.required:
                errors[code] = [_("This field is required.")]
            continue
        cleaned[code] = value
    if errors:
        raise ValidationError(errors)
    return cleaned


def _text(defn: CustomFieldDefinition, value: Any) -> str:
    """A stored value as a person reads it; a value that no longer fits its type reads as stored."""
    try:
        match defn.type:
            case FieldType.BOOLEAN:
                return _("Yes") if value is True else _("No") if value is False else str(value)
            case FieldType.NUMBER:
                return localize(Decimal(str(value)))
            case FieldType.DATE:
                return date_format(dt.date.fromisoformat(str(value)), "SHORT_DATE_FORMAT")
            case FieldType.CHOICE:
                labels = {c.get("code"): c.get("label") for c in defn.choices if isinstance(c, dict)}
                return str(labels.get(value) or value)
    except (InvalidOperation, ValueError):
        return str(value)
    return str(value)  # a string or a text


def shown(entity: str, values: dict[str, Any] | None) -> list[tuple[str, str]]:
    """An entity's custom field values as its card shows them: (label, text) in the settings' order,
    each written as its type reads (yes or no, a choice's label, a date and a number in the reader's
    format). A value whose field was removed from the settings shows under its code, as stored."""
    values = values or {}
    defs = definitions(entity)
    rows = [(d.label, _text(d, values[d.code])) for d in defs if values.get(d.code) not in (None, "")]
    known = {d.code for d in defs}
    return rows + [(code, str(v)) for code, v in values.items() if code not in known and v not in (None, "")]


def form_fields(entity: str, initial: dict[str, Any] | None = None) -> dict[str, Any]:
    """Form fields (named `cf_<code>`) for the entity's custom fields, for pages that edit them."""
    from django import forms

    initial = initial or {}
    fields: dict[str, Any] = {}
    for defn in definitions(entity):
        common = {"label": defn.label, "required": defn.required, "initial": initial.get(defn.code)}
        match defn.type:
            case FieldType.TEXT:
                field = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), **common)
            case FieldType.NUMBER:
                field = forms.DecimalField(**common)
            case FieldType.BOOLEAN:
                field = forms.BooleanField(**{**common, "required": False})
            case FieldType.DATE:
                field = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), **common)
            case FieldType.CHOICE:
                options = [
                    (c.get("code"), c.get("label") or c.get("code"))
                    for c in defn.choices
                    if isinstance(c, dict)
                ]
                field = forms.ChoiceField(choices=[("", "—"), *options], **common)
            case _:
                field = forms.CharField(max_length=255, **common)
        fields[f"cf_{defn.code}"] = field
    return fields


def values_from_form(cleaned_data: dict[str, Any]) -> dict[str, Any]:
    return {name[3:]: value for name, value in cleaned_data.items() if name.startswith("cf_")}
