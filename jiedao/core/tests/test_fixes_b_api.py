"""Issue 3 audit, API plumbing: errors DRF raises before a view runs (a body that is not JSON, a wrong
Content-Type, a method the endpoint has not) come back in the project's format with a Chinese message, and the
project's pagination caps `limit`."""

from __future__ import annotations

import pytest
from rest_framework.test import APIRequestFactory

from jiedao.core.api.exceptions import exception_handler
from jiedao.core.testing import api_client_for, make_user


@pytest.fixture
def api(tree):
    return api_client_for(make_user(tree.community_a1, "registry.view_person", "registry.add_person"))


def has_chinese(text: str) -> bool:
    return any("\u4e00" <= char <= "\u9fff" for char in text)


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ("{bad", "请求体不是有效的 JSON：第 1 行第 2 列附近有语法错误。"),
        ('{"name": "张三",}', "请求体不是有效的 JSON：第 1 行第 15 列附近有语法错误。"),
        ('{\n  "name": "张三"\n  "org": 1}', "请求体不是有效的 JSON：第 3 行第 3 列附近有语法错误。"),
    ],
)
def test_malformed_json_is_explained_in_chinese(api, body, detail):
    response = api.post("/api/v1/persons/", data=body, content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {"code": "parse_error", "detail": detail}


def test_a_body_that_is_not_utf8(api):
    response = api.post("/api/v1/persons/", data=b'{"name": "\xd5\xc5"}', content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {
        "code": "parse_error",
        "detail": "请求体不是有效的 JSON（须为 UTF-8 编码的 JSON 文本）。",
    }


def test_other_errors_before_the_view_are_in_chinese(api):
    wrong_type = api.post("/api/v1/persons/", data="name=张三", content_type="text/plain")
    assert wrong_type.status_code == 415 and wrong_type.json()["code"] == "unsupported_media_type"
    assert has_chinese(wrong_type.json()["detail"])
    wrong_method = api.delete("/api/v1/persons/")
    assert wrong_method.status_code == 405 and wrong_method.json()["code"] == "method_not_allowed"
    assert has_chinese(wrong_method.json()["detail"])
    # The API answers JSON whatever Accept asks for (SingleRendererNegotiation): no 406 to translate.
    assert api.get("/api/v1/persons/", HTTP_ACCEPT="text/html").status_code == 200


def test_an_untranslated_parser_message_gets_a_generic_chinese_one():
    from rest_framework.exceptions import ParseError

    response = exception_handler(ParseError("Multipart form parse error - Invalid boundary"), {})
    assert response.status_code == 400
    assert response.data == {
        "code": "parse_error",
        "detail": "无法解析请求体，请检查其格式是否与 Content-Type 一致。",
    }
    translated = exception_handler(ParseError(), {})  # DRF's own message is translated: kept
    assert has_chinese(translated.data["detail"])


def test_pagination_caps_the_limit():
    from jiedao.core.api.pagination import Pagination

    paginator = Pagination()
    request = APIRequestFactory().get("/", {"limit": "100000"})
    from rest_framework.request import Request

    assert paginator.get_limit(Request(request)) == 200
    assert paginator.get_limit(Request(APIRequestFactory().get("/"))) == 50


def test_a_session_request_without_its_csrf_token_is_refused_in_chinese(tree):
    from django.test import Client

    from jiedao.core.testing import make_user

    user = make_user(tree.community_a1, "registry.view_person", "registry.change_person")
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)
    response = browser.post("/api/v1/persons/", {"name": "张三"}, content_type="application/json")
    assert response.status_code == 403
    assert response.json() == {
        "code": "csrf_failed",
        "detail": "安全校验（CSRF）未通过：请刷新页面后重试；程序调用接口请使用令牌认证。",
    }


def test_an_unknown_api_address_answers_json_in_the_api_format(api, client):
    response = api.get("/api/v1/persns/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == {
        "code": "not_found",
        "detail": "接口地址不存在：请对照 /api/schema/ 检查路径。",
    }
    # A person's browser still gets the site's page.
    page = client.get("/registry/no-such-page/")
    assert page.status_code == 404 and page["Content-Type"].startswith("text/html")


def test_an_api_body_over_the_request_limit_answers_json(api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
    body = '{"name": "' + "张" * 400_000 + '"}'
    response = api.post("/api/v1/persons/", data=body, content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {
        "code": "request_too_large",
        "detail": "请求内容过大（不能超过 1.0 MB），请减少内容；文件请通过对应的上传接口提交。",
    }


def test_a_nested_error_is_a_flat_list_saying_which_item(tree):
    from jiedao.registry.tests.factories import person, staff

    clerk = staff(tree.community_a1)
    head = person(clerk, tree.community_a1, name="孙一")
    api = api_client_for(clerk)
    response = api.post(
        "/api/v1/households/",
        {
            "org": tree.community_a1.pk,
            "number": "H-100",
            "registered_address": "幸福路1号",
            "head": head.pk,
            "members": [{"person": head.pk, "relation": "10"}, {"person": "abc", "relation": "10"}],
        },
        format="json",
    )
    assert response.status_code == 400
    body = response.json()
    messages = body["errors"]["members"]
    assert all(isinstance(message, str) for message in messages)
    assert messages[0].startswith("第2项：person：") and body["detail"] == messages[0]
