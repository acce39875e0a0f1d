"""/api/v1/ routes of the dictionaries app (included by jiedao/api_urls.py)."""

urlpatterns: list = []
