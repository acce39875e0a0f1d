"""/api/v1/ routes of the timelimits app (included by jiedao/api_urls.py)."""

urlpatterns: list = []
