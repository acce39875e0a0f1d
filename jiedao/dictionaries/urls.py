from django.urls import path

from jiedao.dictionaries import views

app_name = "dictionaries"
urlpatterns = [
    path("", views.DictionaryTypeListView.as_view(), name="type_list"),
    path("<slug:code>/", views.DictionaryItemListView.as_view(), name="item_list"),
    path("<slug:code>/new/", views.DictionaryItemCreateView.as_view(), name="item_create"),
    path("<slug:code>/<int:pk>/edit/", views.DictionaryItemEditView.as_view(), name="item_edit"),
    path(
        "<slug:code>/<int:pk>/activation/",
        views.DictionaryItemActivationView.as_view(),
        name="item_activation",
    ),
]
