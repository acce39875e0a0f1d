"""Signal receivers of 预约办理."""

from __future__ import annotations


def cancel_with_account(sender, instance, **kwargs) -> None:
    """A resident account is being deleted: its open bookings go with it (see the service)."""
    from jiedao.appointments.services import appointments_cancel_with_account

    appointments_cancel_with_account(instance)
