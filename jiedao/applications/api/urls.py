"""/api/v1/ routes of the applications app (included by jiedao/api_urls.py)."""

urlpatterns: list = []
