app_name = "dictionaries"
urlpatterns: list = []
