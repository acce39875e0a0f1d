"""The person page in English: dictionary values in English, labels spaced as English writes them."""

from jiedao.core.testing import client_for


def test_the_english_person_page_reads_as_english(tree, clerk, family):
    _household, _head, wife, son = family
    client = client_for(clerk)
    client.cookies["django_language"] = "en"
    page = client.get(f"/registry/persons/{son.pk}/").content.decode()
    assert "Relation to head of household: Son" in page
    assert "Household number: <a" in page
    wife_page = client.get(f"/registry/persons/{wife.pk}/").content.decode()
    assert "Relation to head of household: Spouse" in wife_page
    chinese = client_for(clerk).get(f"/registry/persons/{son.pk}/").content.decode()
    assert "与户主关系：子" in chinese
