"""Who gets a new order: the customer's own manager first, otherwise round-robin among online
managers who receive orders and may work in the order's store."""

from __future__ import annotations

from django.db.models import F, Q
from django.utils import timezone

from shopkeeper.accounts.models import User, WorkStatus
from shopkeeper.accounts.roles import HEAD_OF_SALES, MANAGER

from .models import Order


def eligible_managers(order: Order):
    return (
        User.objects.filter(is_active=True, receives_orders=True, groups__name__in=[MANAGER, HEAD_OF_SALES])
        .filter(Q(stores__isnull=True) | Q(stores=order.store_id))
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
