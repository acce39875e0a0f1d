"""The platform's URLconf plus the import engine's routes, for as long as the root URLconf does not include
them yet (the lead adds `path("imports/", include("jiedao.spreadsheets.urls"))` and the API routes)."""

from django.urls import NoReverseMatch, include, path, reverse

from jiedao import urls as root

urlpatterns = list(root.urlpatterns)


def _routed(name: str) -> bool:
    try:
        reverse(name, urlconf=root)
    except NoReverseMatch:
        return False
    return True


if not _routed("spreadsheets:importjob_list"):
    urlpatterns.insert(0, path("imports/", include("jiedao.spreadsheets.urls")))
if not _routed("api:importjob-list"):
    urlpatterns.insert(0, path("api/v1/", include(("jiedao.spreadsheets.api.urls", "api-spreadsheets"))))
