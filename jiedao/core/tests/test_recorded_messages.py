"""A text the system writes into a record is kept in Chinese and shown in each reader's language; what a
person typed, and rows written before messages were kept, read as written."""

import datetime as dt

from django.utils import translation

from jiedao.applications.choices import RatingLevel
from jiedao.core.i18n import Concat, Joined, Message, for_record, shown


def test_kept_in_chinese_and_shown_in_the_readers_language():
    text, stored = for_record(
        Message("流程挂起：%(r)s", r="等待人事处核对假期"),
    )
    assert text == "流程挂起：等待人事处核对假期"
    with translation.override("en"):
        assert shown(stored, text) == "Process suspended: 等待人事处核对假期"
    with translation.override("zh-hans"):
        assert shown(stored, text) == text


def test_written_in_english_it_is_still_kept_in_chinese():
    with translation.override("en"):
        text, stored = for_record(Message("尚待补交：%(names)s。", names=Joined(["户口簿", "身份证"])))
    assert text == "尚待补交：户口簿、身份证。"
    with translation.override("en"):
        assert shown(stored, text) == "Still to supply: 户口簿, 身份证."


def test_numbers_dates_labels_and_parts():
    message = Concat(
        Message(
            "延长 %(d)d 个工作日，办理期限延至 %(due)s。延长理由：%(reason)s",
            d=5,
            due=dt.date(2026, 3, 23),
            reason="勘验",
        ),
        "\n",
        Message("%(method)s：%(note)s", method=RatingLevel.UNSATISFIED.label, note="本人"),
    )
    text, stored = for_record(message)
    assert text == "延长 5 个工作日，办理期限延至 2026-03-23。延长理由：勘验\n不满意：本人"
    assert stored[-1]["p"]["method"] == {"id": "不满意"}  # the label is kept as its msgid, not as text
    with translation.override("en"):
        assert shown(stored, text).split("\n")[1] == "Dissatisfied: 本人"


def test_typed_text_old_rows_and_broken_messages_read_as_written():
    assert for_record("同意。") == ("同意。", {})
    assert shown({}, "旧记录") == "旧记录"
    assert shown({"id": "流程挂起：%(r)s", "p": {"reason": "x"}}, "流程挂起：x") == "流程挂起：x"
