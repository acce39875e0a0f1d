"""/api/v1/ routes of the workcalendar app (included by jiedao/api_urls.py)."""

urlpatterns: list = []
