"""A masked number as a screen reader reads it: the kept digits one by one and how many are hidden."""

from django.template import Context, Template


def render(value, testid=""):
    argument = ':"' + testid + '"' if testid else ""
    return Template("{% load a11y %}{{ value|spoken_mask" + argument + " }}").render(
        Context({"value": value})
    )


def test_a_masked_id_number_is_shown_as_is_and_read_without_stars():
    html = render("110105********002X")
    assert '<span aria-hidden="true">110105********002X</span>' in html
    assert '<span class="visually-hidden">1 1 0 1 0 5，中间 8 位已隐藏，0 0 2 X</span>' in html


def test_several_phone_numbers_in_one_field_are_each_read_as_such():
    html = render("138****1234、139****5678", "other-phones")
    assert '<span aria-hidden="true" data-testid="other-phones">138****1234、139****5678</span>' in html
    assert "1 3 8，中间 4 位已隐藏，1 2 3 4、1 3 9，中间 4 位已隐藏，5 6 7 8" in html


def test_a_value_that_is_not_masked_is_left_alone_and_escaped():
    assert render("") == ""
    assert render("13812345678") == "13812345678"
    assert render("<b>*</b>x*") == "&lt;b&gt;*&lt;/b&gt;x*"
