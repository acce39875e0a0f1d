"""A second click while a form is on its way does not send it again (a resident's application, an approval)."""

import pytest

from jiedao.core import demo

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_form_sent_once_ignores_a_second_click_until_the_answer(open_page):
    demo.load()
    page = open_page(console=False)
    page.goto("/accounts/login/")
    held = []  # the login POSTs, held unanswered: a busy server while the user clicks again
    page.route(
        "**/accounts/login/",
        lambda route: held.append(route) if route.request.method == "POST" else route.continue_(),
    )
    page.get_by_label("用户名").fill("window")
    page.get_by_label("密码").fill(demo.DEMO_PASSWORD)
    # Click, then try again while the answer is awaited (as a second click would: a submit event).
    state = page.evaluate(
        """() => new Promise((resolve) => {
            const form = document.querySelector("main form");
            const button = form.querySelector("button[type=submit]");
            button.click();
            setTimeout(() => {
                const again = new SubmitEvent("submit", {bubbles: true, cancelable: true, submitter: button});
                form.dispatchEvent(again);
                resolve({disabled: button.disabled, refused: again.defaultPrevented});
            }, 50);
        })"""
    )
    assert state == {"disabled": True, "refused": True}
    assert len(held) == 1 and "username=window" in held[0].request.post_data
    held[0].continue_()
    page.wait_for_url("**/workbench/")
