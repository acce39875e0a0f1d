"""The public guide in a real browser: keyboard use, visible focus, contrast, elder mode, small screens."""

import re

import pytest

from jiedao.catalog.choices import Availability
from jiedao.catalog.tests.factories import make_announcement, make_item, make_material
from jiedao.core.testing import build_tree

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def catalog(db):
    tree = build_tree()
    item = make_item(tree.subdistrict_a, code="QB-MZ-001", name="最低生活保障申请")
    make_material(item, name="户口簿", note="户主页及本人页")
    make_item(
        tree.subdistrict_a,
        code="QB-SQ-001",
        name="居住证明开具",
        availability=Availability.OFFLINE,
        process_key="",
    )
    make_announcement(tree.subdistrict_a, title="本周停水通知")
    return item


def _rgb(css: str) -> tuple[float, float, float, float]:
    values = [float(v) for v in re.findall(r"[\d.]+", css)]
    return (*values[:3], values[3] if len(values) > 3 else 1.0)


def _luminance(rgb) -> float:
    def channel(c):
        c = c / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _contrast(page, selector: str) -> float:
    colors = page.eval_on_selector(
        selector,
        """el => {
            const color = getComputedStyle(el).color;
            let node = el, background = 'rgba(0, 0, 0, 0)';
            while (node) {
                const bg = getComputedStyle(node).backgroundColor;
                if (bg && !bg.startsWith('rgba(0, 0, 0, 0)') && bg !== 'transparent') { background = bg; break; }
                node = node.parentElement;
            }
            if (background.startsWith('rgba(0, 0, 0, 0)')) background = 'rgb(255, 255, 255)';
            return [color, background];
        }""",
    )
    fg, bg = (_luminance(_rgb(c)) for c in colors)
    light, dark = max(fg, bg), min(fg, bg)
    return (light + 0.05) / (dark + 0.05)


def test_keyboard_skip_link_and_visible_focus(open_page, catalog):
    page = open_page()
    page.goto("/guide/QB-MZ-001/")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.getAttribute('href')")
    assert focused == "#main"
    assert page.locator(".skip-link").is_visible()  # shown when focused
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    link = page.get_by_role("link", name="办事指南").first
    link.focus()
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert page.evaluate("document.activeElement.matches(':focus-visible')") or outline != "none"
    assert page.problems == []


@pytest.mark.parametrize("url", ["/", "/guide/QB-MZ-001/", "/announcements/", "/catalog/power-list/"])
def test_text_contrast_in_normal_and_elder_mode(open_page, catalog, url):
    page = open_page()
    page.goto(url)
    for selector in ("h1", "main a", "footer"):
        assert _contrast(page, selector) >= 4.5, (url, selector)
    page.get_by_role("button", name="长者模式（大字体）").click()
    page.wait_for_selector("body.elder")
    assert page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)") >= 20
    for selector in ("h1", "main a", "footer", "nav .nav-link"):
        assert _contrast(page, selector) >= 7, (url, selector)  # AAA in elder mode
    page.get_by_role("button", name="退出长者模式").click()
    page.wait_for_selector("body:not(.elder)")
    assert page.problems == []


def test_guide_fits_a_phone_screen_and_apply_button_works_by_keyboard(open_page, catalog):
    page = open_page(width=360, height=740)
    page.goto("/guide/QB-MZ-001/")
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 1
    apply = page.get_by_role("link", name="在线申请")
    assert apply.get_attribute("href") == f"/hall/me/apply/{catalog.pk}/"
    apply.focus()
    page.keyboard.press("Enter")  # follows the link: an anonymous visitor signs in first
    page.wait_for_url(re.compile(r"/hall/account/login/\?next=%2Fhall%2Fme%2Fapply%2F\d+%2F$"))
    assert page.get_by_role("heading", level=1).count() == 1
    page.goto("/guide/QB-SQ-001/")
    assert page.get_by_role("link", name="在线申请").count() == 0
    assert page.problems == []
