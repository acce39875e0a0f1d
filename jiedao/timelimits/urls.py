app_name = "timelimits"
urlpatterns: list = []
