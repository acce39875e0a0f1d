"""/api/v1/ routes of the parameters app (included by jiedao/api_urls.py)."""

urlpatterns: list = []
