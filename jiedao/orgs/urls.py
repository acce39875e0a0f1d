from django.urls import path

from jiedao.orgs import views

app_name = "orgs"
urlpatterns = [
    path("", views.OrgUnitTreeView.as_view(), name="orgunit_tree"),
    path("new/", views.OrgUnitCreateView.as_view(), name="orgunit_create_root"),
    path("<int:pk>/new/", views.OrgUnitCreateView.as_view(), name="orgunit_create"),
    path("<int:pk>/edit/", views.OrgUnitEditView.as_view(), name="orgunit_edit"),
    path("<int:pk>/move/", views.OrgUnitMoveView.as_view(), name="orgunit_move"),
    path("<int:pk>/activation/", views.OrgUnitActivationView.as_view(), name="orgunit_activation"),
    path("<int:pk>/delete/", views.OrgUnitDeleteView.as_view(), name="orgunit_delete"),
]
