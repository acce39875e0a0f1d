"""Read-only questions about accounts, for pages and panels."""

from __future__ import annotations

from dataclasses import dataclass

from jiedao.accounts.models import LoginAttempt, User


@dataclass(frozen=True)
class PreviousLogin:
    """The user's successful login before the current one, and the failed attempts on the account since."""

    attempt: LoginAttempt | None
    failures_since: int


def previous_login(user: User) -> PreviousLogin:
    """What a user checks on signing in to notice someone else using the account: when and from where they
    last signed in (the login of this session is the newest success, so the one before it), and how many
    attempts with their name failed after it."""
    successes = LoginAttempt.objects.filter(user=user, outcome=LoginAttempt.Outcome.SUCCESS).order_by("-id")
    previous = successes[1:2].first()
    failures = LoginAttempt.objects.filter(username=user.username).exclude(
        outcome=LoginAttempt.Outcome.SUCCESS
    )
    if previous is not None:
        failures = failures.filter(id__gt=previous.id)
    return PreviousLogin(attempt=previous, failures_since=failures.count())
