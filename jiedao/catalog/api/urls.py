"""/api/v1/ routes of the catalog app (included by jiedao/api_urls.py)."""

urlpatterns: list = []
