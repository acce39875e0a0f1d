"""/api/v1/ routes of the registry app (included by jiedao/api_urls.py)."""

urlpatterns: list = []
