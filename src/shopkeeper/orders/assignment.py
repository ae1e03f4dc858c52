"""Who gets a new order: the buyer's own manager first (the company's, then the contact person's),
otherwise round-robin among online managers who receive orders and may work in the order's store."""

from __future__ import annotations

from django.db.models import Q
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


class Assigner:
    """Picks managers for new orders: the customer's own manager if eligible, otherwise the eligible
    online manager assigned longest ago. Eligible managers are read once per kind of order, and
    assignment times are written once, when the orders are (`flush`), so a batch of orders goes
    round the managers without a query per order."""

    def __init__(self) -> None:
        self._eligible: dict[tuple, list[User]] = {}
        self._assigned: dict[int, User] = {}

    def _candidates(self, order: Order) -> list[User]:
        kind = CustomerKind.COMPANY if order.company_id else CustomerKind.PERSON
        key = (order.store_id, order.channel_id, order.order_type_id, kind)
        if key not in self._eligible:
            self._eligible[key] = list(eligible_managers(order).order_by("id"))
        return self._eligible[key]

    def pick(self, order: Order) -> User | None:
        candidates = self._candidates(order)
        # A company's order goes to the company's manager, whichever contact person placed it.
        for buyer in (order.company if order.company_id else None, order.customer):
            if buyer is not None and buyer.manager_id:
                own = next((u for u in candidates if u.pk == buyer.manager_id), None)
                if own is not None:
                    return self._mark(own)
        online = [u for u in candidates if u.work_status == WorkStatus.ONLINE]
        if not online:
            return None
        return self._mark(
            min(online, key=lambda u: (u.last_assigned_at is not None, u.last_assigned_at, u.pk))
        )

    def _mark(self, user: User) -> User:
        user = self._assigned.get(user.pk, user)
        user.last_assigned_at = timezone.now()
        self._assigned[user.pk] = user
        for users in self._eligible.values():  # the same manager may be eligible for other kinds of order
            for i, u in enumerate(users):
                if u.pk == user.pk:
                    users[i] = user
        return user

    def flush(self) -> None:
        for pk in sorted(self._assigned):
            User.objects.filter(pk=pk).update(last_assigned_at=self._assigned[pk].last_assigned_at)
        self._assigned.clear()
