"""/api/v1/ routes of the workflow app (included by jiedao/api_urls.py)."""

urlpatterns: list = []
