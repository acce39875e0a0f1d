from django.test import Client


def test_public_home_needs_no_login_and_offers_elder_mode(db):
    client = Client()
    page = client.get("/")
    assert page.status_code == 200 and "欢迎访问街道政务服务平台" in page.content.decode()
    assert 'class="public"' in page.content.decode()
    response = client.post("/elder-mode/", {"on": "1", "next": "/"})
    assert response.status_code == 302
    assert 'class="public elder"' in client.get("/").content.decode()
    client.post("/elder-mode/", {"on": "0", "next": "https://evil.example/"})
    assert 'class="public"' in client.get("/").content.decode()


def test_elder_mode_redirect_stays_on_site(db):
    response = Client().post("/elder-mode/", {"on": "1", "next": "https://evil.example/"})
    assert response["Location"] == "/"


def test_a_cached_guide_page_shows_an_edit_at_once(tree):
    from jiedao.catalog.services import service_item_publish
    from jiedao.catalog.tests.factories import make_item
    from jiedao.core.testing import make_user

    item = make_item(tree.subdistrict_a, code="QB-CACHE-1", name="高龄津贴申领")
    client = Client()
    assert "高龄津贴申领" in client.get("/guide/").content.decode()
    assert "高龄津贴申领" in client.get("/guide/QB-CACHE-1/").content.decode()
    item.name = "高龄津贴（80 周岁以上）申领"
    item.save()
    assert "高龄津贴（80 周岁以上）申领" in client.get("/guide/").content.decode()
    publisher = make_user(tree.subdistrict_a, "catalog.publish_serviceitem")
    service_item_publish(actor=publisher, item=item, published=False)
    assert client.get("/guide/QB-CACHE-1/").status_code == 404
    assert "高龄津贴" not in client.get("/guide/").content.decode()


def test_cached_pages_keep_elder_mode_and_language_apart(db):
    plain, elder = Client(), Client()
    elder.post("/elder-mode/", {"on": "1", "next": "/guide/"})
    assert 'class="public"' in plain.get("/guide/").content.decode()
    assert 'class="public elder"' in elder.get("/guide/").content.decode()
    assert 'class="public"' in plain.get("/guide/").content.decode()
    english = Client(headers={"accept-language": "en"})
    assert "Service guide" in english.get("/guide/").content.decode()
    assert "办事指南" in plain.get("/guide/").content.decode()
    assert "Cookie" in plain.get("/guide/")["Vary"]


def test_elder_mode_switch_needs_no_csrf_token_so_pages_carry_nothing_per_visitor(db):
    client = Client(enforce_csrf_checks=True)
    page = client.get("/guide/")
    assert "csrfmiddlewaretoken" not in page.content.decode() and "csrftoken" not in page.cookies
    assert client.post("/elder-mode/", {"on": "1", "next": "/guide/"}).status_code == 302
    assert 'class="public elder"' in client.get("/guide/").content.decode()


def test_rendered_pages_live_apart_from_rate_limit_counts(db):
    """A flood of distinct page addresses fills the page cache only, never evicting rate-limit counts."""
    from django.core.cache import caches

    Client().get("/guide/?q=居住证")
    pages, default = caches["public_pages"], caches["default"]
    assert any("public-page:" in key for key in pages._cache)
    assert not any("public-page:" in key for key in default._cache)


def test_result_notices_are_found_where_the_home_page_says(db):
    """低保 and other result notices (公示) live on their own page: the home page's 公示公告 card and the
    announcements page both lead there."""
    notices_url = "/hall/notices/"
    home = Client().get("/").content.decode()
    card = home[home.index('id="pub-notice"') :]
    card = card[: card.index("</section>")]
    assert f'href="{notices_url}"' in card and "办理结果公示" in card
    announcements = Client().get("/announcements/").content.decode()
    assert f'href="{notices_url}"' in announcements
    assert Client().get(notices_url).status_code == 200


def test_a_guide_in_english_counts_copies_in_the_singular_and_the_plural(tree):
    from jiedao.catalog.models import Material
    from jiedao.catalog.tests.factories import make_item

    item = make_item(tree.subdistrict_a, code="QB-COPIES-1", name="高龄津贴申领")
    Material.objects.create(item=item, name="身份证", copies=1)
    Material.objects.create(item=item, name="户口簿", copies=2)
    page = Client(headers={"accept-language": "en"}).get("/guide/QB-COPIES-1/").content.decode()
    assert "1 copy<" in page and "2 copies<" in page and "1 copies" not in page
