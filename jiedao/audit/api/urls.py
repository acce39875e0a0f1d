"""/api/v1/ routes of the audit app (included by jiedao/api_urls.py)."""

urlpatterns: list = []
