"""The registry API in English (Accept-Language: en): messages wholly in English, numbers named in English."""

from datetime import date

from jiedao.core.testing import api_client_for
from jiedao.registry.models import Person
from jiedao.registry.tests.factories import new_id_number, person
from jiedao.registry.validators import compute_check_char

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def has_chinese(text: str) -> bool:
    return any("\u4e00" <= c <= "\u9fff" for c in text)


def wrong_check(number: str) -> str:
    return number[:17] + next(c for c in "0123456789X" if c != compute_check_char(number[:17]))


def test_a_wrong_check_character_is_explained_in_english(tree, clerk):
    api = api_client_for(clerk)
    number = wrong_check(new_id_number(date(1990, 1, 1)))

    response = api.post(
        "/api/v1/persons/",
        {"name": "张三", "id_number": number, "org": tree.community_a1.pk},
        format="json",
        **EN,
    )

    assert response.status_code == 400
    message = response.json()["errors"]["id_number"][0]
    assert message.startswith("Wrong check digit in Citizen ID number") and not has_chinese(message), message
    assert not Person.objects.exists()


def test_the_same_error_stays_chinese_for_a_chinese_client(tree, clerk):
    number = wrong_check(new_id_number(date(1990, 1, 1)))
    response = api_client_for(clerk).post(
        "/api/v1/persons/", {"name": "张三", "id_number": number, "org": tree.community_a1.pk}, format="json"
    )
    assert response.json()["errors"]["id_number"][0].startswith("公民身份号码校验位错误")


def test_import_pages_and_jobs_name_the_kind_of_records_in_english(tree, clerk, client):
    """The import specs' names were plain Chinese strings: “Import 实有人口” on the English page."""
    client.force_login(clerk)
    client.cookies["django_language"] = "en"

    page = client.get("/imports/new/registry-persons/").content.decode()

    assert "Import Actual population" in page and "实有人口" not in page


def test_person_page_gives_the_birth_date_in_the_interface_language(tree, clerk, client):
    someone = person(clerk, tree.community_a1, name="丁一", id_number=new_id_number(date(2000, 4, 1)))
    client.force_login(clerk)
    url = f"/registry/persons/{someone.pk}/"

    assert "2000年4月1日" in client.get(url).content.decode()
    client.cookies["django_language"] = "en"
    english = client.get(url).content.decode()
    assert "April 1, 2000" in english and "2000年4月1日" not in english


def test_import_column_descriptions_follow_the_interface_language():
    """The upload page and the template's header comments describe each column: marked for translation, so the
    English page can say it in English (they were plain Chinese strings)."""
    from django.utils.functional import Promise

    from jiedao.registry import import_specs
    from jiedao.spreadsheets.specs import get_spec

    keys = [
        spec.key
        for spec in vars(import_specs).values()
        if isinstance(spec, type) and getattr(spec, "key", "")
    ]
    assert len(keys) == 4
    for key in keys:
        spec = get_spec(key)
        assert isinstance(spec.label, Promise)
        assert all(isinstance(column.help, Promise) for column in spec.columns if column.help), key
