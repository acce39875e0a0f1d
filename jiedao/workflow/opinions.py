"""常用意见: each user's short list of opinions (同意。, 拟同意，请领导审批。) the task page and the inbox's
batch approval offer next to the opinion box.

A user who has none gets the platform's defaults, written as their own rows the first time the list is
read, so that they can reorder and delete them like their own. A user who deletes every phrase gets the
defaults back the next time (an opinion box with no phrases at all helps nobody); the page says so.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jiedao.accounts.models import User
from jiedao.core.exceptions import ValidationFailed
from jiedao.workflow.models import OpinionPhrase

MAX_LENGTH = 200
MAX_PER_USER = 30
DEFAULTS = (
    gettext_lazy("同意。"),
    gettext_lazy("拟同意，请领导审批。"),
    gettext_lazy("情况属实，同意上报。"),
    gettext_lazy("材料不全，请补充后重新提交。"),
    gettext_lazy("不同意。"),
)


def phrases_for(user: User) -> list[OpinionPhrase]:
    """The user's phrases in their order; the platform's defaults when they have none."""
    phrases = list(OpinionPhrase.objects.filter(user=user))
    if phrases:
        return phrases
    # Two pages opened at once both seed: the unique (user, text) constraint keeps one copy of each.
    OpinionPhrase.objects.bulk_create(
        [OpinionPhrase(user=user, text=str(text), position=i) for i, text in enumerate(DEFAULTS, 1)],
        ignore_conflicts=True,
    )
    return list(OpinionPhrase.objects.filter(user=user))


def phrase_add(*, actor: User, text: str) -> OpinionPhrase:
    """Appends a phrase to the actor's list (at most `MAX_PER_USER`, each at most `MAX_LENGTH` characters)."""
    text = " ".join((text or "").split())
    if not text:
        raise ValidationFailed({"text": [_("请输入常用意见。")]})
    if len(text) > MAX_LENGTH:
        raise ValidationFailed(
            {
                "text": [
                    _("常用意见不能超过 %(n)d 个字（现有 %(len)d 个字）。")
                    % {"n": MAX_LENGTH, "len": len(text)}
                ]
            }
        )
    with transaction.atomic():
        # The user row serialises two additions of one user, so the limit holds.
        User.objects.select_for_update().filter(pk=actor.pk).first()
        mine = OpinionPhrase.objects.filter(user=actor)
        if mine.filter(text=text).exists():
            raise ValidationFailed({"text": [_("常用意见「%(t)s」已在列表中。") % {"t": text[:50]}]})
        if mine.count() >= MAX_PER_USER:
            raise ValidationFailed(
                {"text": [_("常用意见最多 %(n)d 条，请先删除不再使用的。") % {"n": MAX_PER_USER}]}
            )
        last = mine.aggregate(last=Max("position"))["last"] or 0
        try:
            with transaction.atomic():
                return OpinionPhrase.objects.create(user=actor, text=text, position=last + 1)
        except IntegrityError:
            raise ValidationFailed(
                {"text": [_("常用意见「%(t)s」已在列表中。") % {"t": text[:50]}]}
            ) from None


def phrase_delete(*, actor: User, phrase: OpinionPhrase) -> None:
    OpinionPhrase.objects.filter(pk=phrase.pk, user=actor).delete()


def phrase_move(*, actor: User, phrase: OpinionPhrase, up: bool) -> None:
    """Swaps the phrase with its neighbour above (or below); the first stays first, the last stays last."""
    with transaction.atomic():
        mine = list(OpinionPhrase.objects.select_for_update().filter(user=actor))
        index = next((i for i, p in enumerate(mine) if p.pk == phrase.pk), None)
        if index is None:
            return
        other = index - 1 if up else index + 1
        if not 0 <= other < len(mine):
            return
        mine[index], mine[other] = mine[other], mine[index]
        # Renumbered from 1, so rows that shared a position (seeded twice, edited elsewhere) get distinct ones.
        for position, item in enumerate(mine, 1):
            item.position = position
        OpinionPhrase.objects.bulk_update(mine, ["position"])
