"""`{% load dictionaries %}{{ person.ethnicity|dict_label:"ethnicity" }}` → "汉族" (also for a deactivated item)."""

from django import template

from jiedao.dictionaries import selectors

register = template.Library()


@register.filter
def dict_label(code, type_code: str) -> str:
    return selectors.label(type_code, code)
