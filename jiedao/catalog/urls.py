from django.urls import path

from jiedao.catalog import views

app_name = "catalog"
urlpatterns = [
    path("items/", views.ItemListView.as_view(), name="item_list"),
    path("items/new/", views.ItemCreateView.as_view(), name="item_create"),
    path("items/<int:pk>/", views.ItemDetailView.as_view(), name="item_detail"),
    path("items/<int:pk>/edit/", views.ItemEditView.as_view(), name="item_edit"),
    path("items/<int:pk>/publish/", views.ItemPublishView.as_view(), name="item_publish"),
    path("items/<int:pk>/delete/", views.ItemDeleteView.as_view(), name="item_delete"),
    path("items/<int:pk>/materials/new/", views.MaterialCreateView.as_view(), name="material_create"),
    path(
        "items/<int:pk>/materials/<int:material_pk>/edit/",
        views.MaterialEditView.as_view(),
        name="material_edit",
    ),
    path(
        "items/<int:pk>/materials/<int:material_pk>/files/<str:kind>/",
        views.MaterialFileView.as_view(),
        name="material_file",
    ),
    path(
        "items/<int:pk>/materials/<int:material_pk>/delete/",
        views.MaterialDeleteView.as_view(),
        name="material_delete",
    ),
    path("announcements/", views.AnnouncementListView.as_view(), name="announcement_list"),
    path("announcements/new/", views.AnnouncementCreateView.as_view(), name="announcement_create"),
    path("announcements/<int:pk>/edit/", views.AnnouncementEditView.as_view(), name="announcement_edit"),
    path(
        "announcements/<int:pk>/publish/",
        views.AnnouncementPublishView.as_view(),
        name="announcement_publish",
    ),
    path("power-list/", views.PowerListView.as_view(), name="power_list"),
    path("responsibility-list/", views.ResponsibilityListView.as_view(), name="responsibility_list"),
]
