import pytest
from django.core.management import call_command
from django.db import connection

from jiedao.core import crypto
from jiedao.core.testing import make_user

OLD_KEY = "0123456789abcdeffedcba9876543210"
NEW_KEY = "00112233445566778899aabbccddeeff"


def test_sm4_round_trip_and_tamper_detection(settings):
    token = crypto.encrypt("110105199001010021")
    assert token.startswith("sm4g:") and "110105" not in token
    assert crypto.decrypt(token) == "110105199001010021"
    assert crypto.encrypt("same") != crypto.encrypt("same")  # random nonce
    broken = token[:-4] + ("AAAA" if token[-4:] != "AAAA" else "BBBB")
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(broken)


def test_blind_index_is_keyed_and_deterministic(settings):
    first = crypto.blind_index("13800138000")
    assert first == crypto.blind_index("13800138000") and len(first) == 64
    settings.JIEDAO_BLIND_INDEX_KEY = "ff" * 16
    assert crypto.blind_index("13800138000") != first


def test_masks():
    assert crypto.mask_id_number("11010519491231002X") == "110105********002X"
    assert crypto.mask_phone("13812341234") == "138****1234"
    assert crypto.mask_name("张三明") == "张*明" and crypto.mask_name("张三") == "张*"


def test_key_rotation_reencrypts_with_the_new_key(tree, settings):
    settings.JIEDAO_FIELD_KEYS = [OLD_KEY]
    user = make_user(tree.community_a1)
    user.totp_secret = "JBSWY3DPEHPK3PXP"
    user.save()
    settings.JIEDAO_FIELD_KEYS = [NEW_KEY, OLD_KEY]
    call_command("rotate_field_keys", stdout=open("/dev/null", "w"))  # noqa: SIM115
    settings.JIEDAO_FIELD_KEYS = [NEW_KEY]
    user.refresh_from_db()
    assert user.totp_secret == "JBSWY3DPEHPK3PXP"
    with connection.cursor() as cursor:
        cursor.execute("SELECT totp_secret FROM accounts_user WHERE id = %s", [user.pk])
        assert crypto.is_current(cursor.fetchone()[0])


def test_key_rotation_covers_every_row_past_a_chunk_and_can_run_again(tree, settings, monkeypatch):
    from jiedao.core.management.commands import rotate_field_keys

    monkeypatch.setattr(rotate_field_keys, "CHUNK", 2)  # five users: three chunks, each its own transaction
    settings.JIEDAO_FIELD_KEYS = [OLD_KEY]
    users = [make_user(tree.community_a1) for _ in range(5)]
    for user in users:
        user.totp_secret = f"JBSWY3DPEHPK3PX{user.pk % 10}"
        user.save()
    settings.JIEDAO_FIELD_KEYS = [NEW_KEY, OLD_KEY]
    for _run in range(2):  # a run stopped part-way is simply run again
        call_command("rotate_field_keys", stdout=open("/dev/null", "w"))  # noqa: SIM115
    settings.JIEDAO_FIELD_KEYS = [NEW_KEY]
    with connection.cursor() as cursor:
        cursor.execute("SELECT totp_secret FROM accounts_user WHERE totp_secret <> ''")
        stored = [row[0] for row in cursor.fetchall()]
    assert len(stored) == 5 and all(crypto.is_current(value) for value in stored)
    assert [
        u.totp_secret for u in type(users[0]).objects.filter(pk__in=[u.pk for u in users]).order_by("pk")
    ] == [f"JBSWY3DPEHPK3PX{u.pk % 10}" for u in users]


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("电话 138 1234 5678", "电话 138 **** 5678"),
        ("+86-138-1234-5678", "+86-138-****-5678"),
        ("身份证 110105 19491231 002X 复印件", "身份证 110105 ******** 002X 复印件"),
        ("残疾人证 11010519491231002X42", "残疾人证 110105**********2X42"),
        ("证号110105194912310021号", "证号110105********0021号"),
        ("座机 010-12345678 或 0571 8765432", "座机 010-****5678 或 0571 ***5432"),
        ("１３８１２３４５６７８", "１３８****５６７８"),
        ("Box13812345678", "Box138****5678"),
        ("138－1234－5678 或 138　1234　5678", "138－****－5678 或 138　****　5678"),
        ("138.1234.5678；138 - 1234 - 5678", "138.****.5678；138 - **** - 5678"),
        ("８６１３８１２３４５６７８", "８６１３８****５６７８"),
        ("110105 194912 31002X", "110105 ****** **002X"),
        ("1101 0519 4912 3100 2X", "1101 05** **** **00 2X"),
        ("110 105 19491231 0021", "110 105 ******** 0021"),
        ("11010519491231002Ｘ", "110105********002Ｘ"),
        ("(010)87654321、010 8765 4321、0571-8765-4321", "(010)****4321、010 **** 4321、0571-****-4321"),
        ("（0571）8765432", "（0571）***5432"),
        ("银行卡 6222 0212 3456 7890 123", "银行卡 6222 02** **** ***0 123"),
        # Not numbers of a person: dates, amounts, short codes.
        ("有效期 2024-01-01 2026-12-31，补助 1234567 元", "有效期 2024-01-01 2026-12-31，补助 1234567 元"),
        ("2024.1.1－2026.12.31", "2024.1.1－2026.12.31"),
    ],
)
def test_numbers_typed_into_free_text_are_masked_as_typed(typed, shown):
    assert crypto.mask_numbers(typed) == shown
    assert crypto.mask_numbers({"依据": [typed]}) == {"依据": [shown]}
