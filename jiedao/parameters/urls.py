app_name = "parameters"
urlpatterns: list = []
