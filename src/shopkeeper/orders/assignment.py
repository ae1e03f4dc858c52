"""Who gets a new order: the customer's own manager first, otherwise round-robin among online
managers who receive orders and may work in the order's store."""

from __future__ import annotations

from django.db.models import F, Q
from django.utils import timezone

from shopkeeper.accounts.models import User, WorkStatus
from shopkeeper.accounts.roles import HEAD_OF_SALES, MANAGER

from .models import AssignmentRule, CustomerKind, Order


def eligible_managers(order: Order):
    """Active managers who receive orders, may work in the order's store, and whose assignment rules
    (if they have any) match the order's store, channel, order type and kind of customer."""
    kind = CustomerKind.COMPANY if order.company_id else CustomerKind.PERSON
    matching_rules = AssignmentRule.objects.filter(
        Q(store__isnull=True) | Q(store_id=order.store_id),
        Q(channel__isnull=True) | Q(channel_id=order.channel_id),
        Q(order_type__isnull=True) | Q(order_type_id=order.order_type_id),
        Q(customer_kind="") | Q(customer_kind=kind),
    )
    return (
        User.objects.filter(is_active=True, receives_orders=True, groups__name__in=[MANAGER, HEAD_OF_SALES])
        .filter(Q(stores__isnull=True) | Q(stores=order.store_id))
        .filter(Q(assignment_rules__isnull=True) | Q(pk__in=matching_rules.values("manager_id")))
        .distinct()
    )


def pick_manager(order: Order) -> User | None:
    customer = order.customer
    if customer is not None and customer.manager_id:
        own = eligible_managers(order).filter(pk=customer.manager_id).first()
        if own is not None:
            return _mark(own)
    candidate = (
        eligible_managers(order)
        .filter(work_status=WorkStatus.ONLINE)
        .order_by(F("last_assigned_at").asc(nulls_first=True), "id")
        .first()
    )
    return _mark(candidate) if candidate else None


def _mark(user: User) -> User:
    now = timezone.now()
    User.objects.filter(pk=user.pk).update(last_assigned_at=now)
    user.last_assigned_at = now
    return user
