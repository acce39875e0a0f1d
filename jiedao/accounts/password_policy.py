"""Password policy as a Django password validator, configured through system parameters."""

from __future__ import annotations

import string

from django.contrib.auth.hashers import check_password
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from jiedao.parameters.services import get_parameter


def character_classes(password: str) -> int:
    return sum(
        [
            any(c in string.ascii_uppercase for c in password),
            any(c in string.ascii_lowercase for c in password),
            any(c in string.digits for c in password),
            any(not c.isalnum() for c in password),
        ]
    )


class PolicyPasswordValidator:
    def validate(self, password: str, user=None) -> None:
        errors = []
        min_length = get_parameter("password.min_length")
        min_classes = get_parameter("password.min_classes")
        if len(password) < min_length:
            errors.append(
                ValidationError(_("密码长度至少 %(n)d 位。") % {"n": min_length}, code="password_too_short")
            )
        if character_classes(password) < min_classes:
            errors.append(
                ValidationError(
                    _("密码须包含大写字母、小写字母、数字、符号中的至少 %(n)d 类。") % {"n": min_classes},
                    code="password_too_simple",
                )
            )
        history = get_parameter("password.history")
        if user is not None and user.pk and history:
            previous = [user.password] + list(
                user.password_history.values_list("password", flat=True)[: max(history - 1, 0)]
            )
            if any(encoded and check_password(password, encoded) for encoded in previous):
                errors.append(
                    ValidationError(
                        _("不能使用最近 %(n)d 次用过的密码。") % {"n": history}, code="password_reused"
                    )
                )
        if errors:
            raise ValidationError(errors)

    def get_help_text(self) -> str:
        return _(
            "至少 %(n)d 位，包含大写字母、小写字母、数字、符号中的至少 %(c)d 类，且不与最近使用过的密码相同。"
        ) % {
            "n": get_parameter("password.min_length"),
            "c": get_parameter("password.min_classes"),
        }
