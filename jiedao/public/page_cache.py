"""Rendered public pages, cached per language, elder mode and full path.

The public site shows the same page to every visitor (no login, no personal data), and a busy morning
sends thousands of residents to the same few guides: rendering each one from the database every time would
make the catalog the slowest thing on the server. Saving anything a public page shows moves a generation
mark, so the next request renders afresh. With the default per-process cache, other server processes pick
the change up when their copy expires (``JIEDAO_PUBLIC_PAGE_SECONDS``, one minute by default); with a
shared cache (``JIEDAO_CACHE_URL``, Redis) at once.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable

from django.conf import settings
from django.core.cache import caches
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.template.response import SimpleTemplateResponse
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.translation import get_language

GENERATION_KEY = "public-pages:generation"
# Stands in for the visitor's CSRF token in a cached form page (see `form_page`).
CSRF_SLOT = "csrf-slot-7d41c0e9"


def _cache():
    return caches["public_pages"]


def mark_public_pages_stale(**_signal_kwargs) -> None:
    """A catalog item, material, announcement or org changed: every cached public page is out of date."""
    _cache().set(GENERATION_KEY, time.time_ns(), None)


def _generation() -> int:
    cache = _cache()
    generation = cache.get(GENERATION_KEY)
    if generation is None:
        # Never restart from a fixed number: after an eviction that could bring back an older page.
        cache.add(GENERATION_KEY, time.time_ns(), None)
        generation = cache.get(GENERATION_KEY, 0)
    return generation


def _page_key(request: HttpRequest, elder_mode: bool) -> str:
    path = hashlib.sha256(request.get_full_path().encode()).hexdigest()
    return f"public-page:{_generation()}:{get_language()}:{int(elder_mode)}:{path}"


class CachedPublicPageMixin:
    """For public TemplateViews whose output depends only on the URL, the language and the elder mode."""

    def dispatch(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        seconds = settings.JIEDAO_PUBLIC_PAGE_SECONDS
        if request.method not in ("GET", "HEAD") or seconds <= 0:
            return super().dispatch(request, *args, **kwargs)
        key = _page_key(request, self.elder_mode_requested(request))
        cache = _cache()
        cached = cache.get(key)
        if cached is not None:
            content, content_type = cached
            response = HttpResponse(content, content_type=content_type)
        else:
            response = super().dispatch(request, *args, **kwargs)
            if response.status_code == 200 and hasattr(response, "add_post_render_callback"):
                response.add_post_render_callback(
                    lambda rendered: cache.set(key, (rendered.content, rendered["Content-Type"]), seconds)
                )
        # The elder-mode and language cookies change the page: shared caches must not mix them up.
        patch_vary_headers(response, ("Cookie",))
        return response


def form_page(
    request: HttpRequest,
    elder_mode: bool,
    render: Callable[[], SimpleTemplateResponse],
    fill: dict[str, str] | None = None,
) -> HttpResponse:
    """A public form page served from the cache although it carries a per-visitor CSRF token.

    `render` renders the page with `CSRF_SLOT` as its `csrf_token` (and any other slot marks `fill` names);
    that HTML is kept like a whole public page, and each request gets it with the visitor's own token and the
    `fill` values (HTML, already escaped) put in place of the marks. A visitor with a pending flash message
    (a messages or session cookie) gets `render` afresh instead, so the message is shown and consumed.
    """
    seconds = settings.JIEDAO_PUBLIC_PAGE_SECONDS
    if seconds <= 0 or "messages" in request.COOKIES or settings.SESSION_COOKIE_NAME in request.COOKIES:
        content = render().render().content.decode()
    else:
        key = _page_key(request, elder_mode) + ":form"
        content = _cache().get(key)
        if content is None:
            content = render().render().content.decode()
            _cache().set(key, content, seconds)
    content = content.replace(CSRF_SLOT, get_token(request))
    for mark, value in (fill or {}).items():
        content = content.replace(mark, value, 1)
    response = HttpResponse(content)
    patch_vary_headers(response, ("Cookie",))
    # It carries this visitor's CSRF token (and look-up result): no shared cache may keep it for others.
    patch_cache_control(response, private=True, no_store=True)
    return response
