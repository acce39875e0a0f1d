"""The language of records.

Text kept in a record that others read later — a timeline or history entry, an audit message, a public
notice, an SMS to a resident, the reason a clock was paused — is written in the site's language, whatever
the language of the request that wrote it: a clerk using the English interface, or an API client sending
Accept-Language: en, must not leave English entries in a Chinese register or text a resident in English.
Error messages are not wrapped: they go back to the one who made the request, in their language.
"""

import functools

from django.conf import settings
from django.utils import translation


def records_language():
    """Context manager: translate in the site's language (settings.LANGUAGE_CODE) inside the block."""
    return translation.override(settings.LANGUAGE_CODE)


def in_records_language(func):
    """Decorator for a helper that only writes records (its caller has made every check): the whole call runs
    in the site's language. A fresh override per call, so concurrent threads never share one."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with records_language():
            return func(*args, **kwargs)

    return wrapper
