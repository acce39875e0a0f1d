"""/api/v1/ routes of the orgs app (included by jiedao/api_urls.py)."""

urlpatterns: list = []
