"""Public site: guides, announcements, power and responsibility lists, elder mode and accessibility."""

import re
from html.parser import HTMLParser
from urllib.parse import quote

import pytest
from django.core.files.base import ContentFile
from django.test import Client

from jiedao.catalog.choices import Audience, Availability, ItemKind, PowerType
from jiedao.catalog.tests.factories import make_announcement, make_item, make_material

PUBLIC_PAGES = [
    "/",
    "/guide/",
    "/guide/?audience=enterprise",
    "/guide/?event=elderly",
    "/guide/?q=低保",
    "/announcements/",
    "/announcements/?category=outage",
    "/catalog/power-list/",
    "/catalog/responsibility-list/",
]


@pytest.fixture
def catalog(tree, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    online = make_item(
        tree.subdistrict_a,
        code="QB-MZ-001",
        name="最低生活保障申请",
        power_type=PowerType.BENEFIT,
        life_events=["hardship", "elderly"],
    )
    blank = make_material(online, name="低保申请书", form="original", copies=2)
    blank.blank_form.save("dibao-blank.pdf", ContentFile(b"%PDF-1.4 blank"), save=False)
    blank.sample.save("dibao-sample.pdf", ContentFile(b"%PDF-1.4 sample"), save=True)
    make_material(online, name="户口簿", form="copy", copies=1, required=False, note="户主页及本人页")
    offline = make_item(
        tree.community_a1,
        code="QB-SQ-001",
        name="居住证明开具",
        kind=ItemKind.INSTANT,
        power_type=PowerType.CONFIRMATION,
        availability=Availability.OFFLINE,
        process_key="",
        statutory_limit_days=1,
        promised_limit_days=0,
        life_events=["housing"],
    )
    enterprise = make_item(
        tree.subdistrict_b,
        code="WJ-QY-001",
        name="企业开办全程代办",
        audience=Audience.ENTERPRISE,
        power_type=PowerType.PUBLIC_SERVICE,
        life_events=["business"],
    )
    draft = make_item(tree.subdistrict_a, code="QB-DRAFT", name="尚未发布的事项", published=False)
    return {"online": online, "offline": offline, "enterprise": enterprise, "draft": draft, "blank": blank}


class _Structure(HTMLParser):
    """Collects what the accessibility checks need from a page."""

    def __init__(self):
        super().__init__()
        self.html_lang = None
        self.headings: list[int] = []
        self.inputs: list[dict] = []
        self.label_for: set[str] = set()
        self.images: list[dict] = []
        self.links: list[dict] = []
        self.in_label = 0
        self.inputs_in_label = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "html":
            self.html_lang = attrs.get("lang")
        if re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))
        if tag == "label":
            self.in_label += 1
            if attrs.get("for"):
                self.label_for.add(attrs["for"])
        if tag in ("input", "select", "textarea") and attrs.get("type") not in ("hidden", "submit"):
            attrs["_in_label"] = bool(self.in_label)
            self.inputs.append(attrs)
        if tag == "img":
            self.images.append(attrs)
        if tag == "a":
            self.links.append(attrs)

    def handle_endtag(self, tag):
        if tag == "label":
            self.in_label -= 1


def _structure(html: str) -> _Structure:
    parser = _Structure()
    parser.feed(html)
    return parser


@pytest.mark.parametrize("url", PUBLIC_PAGES)
def test_public_pages_need_no_login_and_meet_accessibility_basics(catalog, url):
    response = Client().get(url)
    assert response.status_code == 200, url
    html = response.content.decode()
    page = _structure(html)
    assert page.html_lang and page.html_lang.startswith("zh"), url
    assert page.headings.count(1) == 1, f"{url}: exactly one h1"
    assert page.headings[0] == 1, f"{url}: the h1 comes first"
    for before, after in zip(page.headings, page.headings[1:], strict=False):
        assert after <= before + 1, f"{url}: heading levels skip from h{before} to h{after}"
    assert any(link.get("href") == "#main" for link in page.links), f"{url}: skip link"
    assert 'id="main"' in html
    for field in page.inputs:
        labelled = field.get("id") in page.label_for or field.get("aria-label") or field["_in_label"]
        assert labelled, f"{url}: unlabelled control {field}"
    for image in page.images:
        assert "alt" in image, f"{url}: image without alt"
    assert 'style="' not in html and "<style" not in html and "<script>" not in html, (
        f"{url}: inline style/script"
    )


def test_guide_shows_every_field_downloads_and_apply_button(catalog):
    item = catalog["online"]
    html = Client().get(f"/guide/{item.code}/").content.decode()
    for text in (
        item.name,
        "《社会救助暂行办法》第九条",  # basis
        "人均收入低于当地低保标准",  # conditions
        "申请、受理、调查、公示、审核确认",  # steps
        "低保申请书",
        "原件",
        "2 份",
        "户口簿",
        "复印件",
        "户主页及本人页",
        "视情提供",
        "30 个工作日",  # statutory
        "20 个工作日",  # promised
        "不收费",
        "《测试收费依据》",  # fee basis
        "甲街道便民服务中心 1号窗口",
        "工作日 9:00-12:00，13:30-17:00",
        "0571-87021001",  # consultation
        "0571-87021099",  # complaint
        "承诺件",
        "可网上申请",
        "行政给付",
        "困难救助",
        "办结后依法公示办理结果",
    ):
        assert text in html, text
    blank_url = f"/guide/materials/{catalog['blank'].pk}/blank/"
    sample_url = f"/guide/materials/{catalog['blank'].pk}/sample/"
    assert blank_url in html and sample_url in html
    apply_url = f"/hall/me/apply/{item.pk}/"
    assert f'href="{apply_url}"' in html and "在线申请" in html
    # the button leads to the hall: an anonymous visitor is asked to sign in, then comes back to apply
    following = Client().get(apply_url)
    assert following.status_code == 302
    assert following["Location"] == f"/hall/account/login/?next={quote(apply_url, safe='')}"
    assert Client().get(following["Location"]).status_code == 200
    download = Client().get(blank_url)
    assert download.status_code == 200 and b"".join(download.streaming_content) == b"%PDF-1.4 blank"
    assert "attachment" in download["Content-Disposition"]
    assert Client().get(sample_url).status_code == 200
    assert Client().get(f"/guide/materials/{catalog['blank'].pk}/other/").status_code == 404


def test_offline_item_has_no_apply_button(catalog):
    html = Client().get("/guide/QB-SQ-001/").content.decode()
    assert "居住证明开具" in html and "即办件" in html and "即时办结" in html
    assert "在线申请" not in html and "/hall/me/apply/" not in html
    assert "仅限窗口办理" in html


def test_unpublished_items_never_show_publicly(catalog):
    client = Client()
    draft = catalog["draft"]
    assert client.get(f"/guide/{draft.code}/").status_code == 404
    material = make_material(draft, name="草稿材料")
    material.blank_form.save("draft.pdf", ContentFile(b"%PDF draft"), save=True)
    assert client.get(f"/guide/materials/{material.pk}/blank/").status_code == 404
    for url in PUBLIC_PAGES:
        assert "尚未发布的事项" not in client.get(url).content.decode(), url
    for url in ("/guide/?q=尚未发布", "/guide/?q=QB-DRAFT"):
        assert "尚未发布的事项" not in client.get(url).content.decode()


def test_browse_by_audience_and_life_event(catalog):
    client = Client()
    enterprise = client.get("/guide/?audience=enterprise").content.decode()
    assert "企业开办全程代办" in enterprise and "最低生活保障申请" not in enterprise
    person = client.get("/guide/?audience=person").content.decode()
    assert "最低生活保障申请" in person and "企业开办全程代办" not in person
    elderly = client.get("/guide/?event=elderly").content.decode()
    assert "最低生活保障申请" in elderly and "居住证明开具" not in elderly
    assert "人生事件：养老" in elderly
    search = client.get("/guide/?q=居住证明").content.decode()
    assert "居住证明开具" in search and "最低生活保障申请" not in search
    home = client.get("/").content.decode()
    for label in ("个人办事", "企业办事", "生育", "入学", "就业", "婚姻", "养老", "残疾", "困难救助", "创业"):
        assert label in home, label
    assert 'action="/guide/"' in home


def test_announcements_show_only_published_and_currently_valid(tree):
    current = make_announcement(tree.subdistrict_a, title="本周停水通知", days_from=-1, days_until=3)
    open_ended = make_announcement(
        tree.subdistrict_a, title="低保政策解读", category="policy", days_from=-10, days_until=None
    )
    expired = make_announcement(tree.subdistrict_a, title="上月停电通知", days_from=-30, days_until=-1)
    future = make_announcement(tree.subdistrict_a, title="下月拆迁公告", category="demolition", days_from=2)
    draft = make_announcement(tree.subdistrict_a, title="未发布的公告", published=False)
    client = Client()
    listing = client.get("/announcements/").content.decode()
    assert "本周停水通知" in listing and "低保政策解读" in listing
    for hidden in ("上月停电通知", "下月拆迁公告", "未发布的公告"):
        assert hidden not in listing
        assert hidden not in client.get("/").content.decode()
    assert client.get(f"/announcements/{current.pk}/").status_code == 200
    assert client.get(f"/announcements/{open_ended.pk}/").status_code == 200
    for hidden in (expired, future, draft):
        assert client.get(f"/announcements/{hidden.pk}/").status_code == 404
    policy = client.get("/announcements/?category=policy").content.decode()
    assert "低保政策解读" in policy and "本周停水通知" not in policy


def test_power_and_responsibility_lists_group_published_items(catalog):
    html = Client().get("/catalog/power-list/").content.decode()
    assert "权力清单" in html
    benefit = html.index('id="power-benefit"')
    confirmation = html.index('id="power-confirmation"')
    service = html.index('id="power-public_service"')
    assert benefit < confirmation < service  # in the order of the power types
    assert html.index("最低生活保障申请") > benefit and html.index("最低生活保障申请") < confirmation
    assert "实施主体：甲街道" in html and "实施主体：甲一社区" in html and "实施主体：乙街道" in html
    assert "尚未发布的事项" not in html
    responsibility = Client().get("/catalog/responsibility-list/").content.decode()
    assert "责任清单" in responsibility and "受理、审核、发放" in responsibility
    assert "超过时限办理的追究责任" in responsibility and "尚未发布的事项" not in responsibility
    assert "责任主体：甲街道" in responsibility


def test_public_nav_links_the_lists(catalog):
    html = Client().get("/").content.decode()
    for href in ('href="/guide/"', 'href="/announcements/"', 'href="/catalog/power-list/"'):
        assert href in html
    assert 'href="/catalog/responsibility-list/"' in html
    assert 'href="/hall/"' in html and "网上办事" in html  # the online service hall


def test_public_nav_links_the_hall_once_on_every_public_page(catalog):
    for url in ("/", "/guide/", "/announcements/", "/hall/", "/hall/track/"):
        html = Client().get(url).content.decode()
        assert html.count('href="/hall/"') == 1, url


@pytest.mark.parametrize("url", ["/guide/", "/guide/QB-MZ-001/", "/announcements/", "/catalog/power-list/"])
def test_elder_mode_works_on_catalog_pages(catalog, url):
    client = Client()
    assert 'class="public"' in client.get(url).content.decode()
    response = client.post("/elder-mode/", {"on": "1", "next": url})
    assert response.status_code == 302 and response["Location"] == url
    html = client.get(url).content.decode()
    assert 'class="public elder"' in html and "退出长者模式" in html
    client.post("/elder-mode/", {"on": "0", "next": url})
    assert 'class="public"' in client.get(url).content.decode()
