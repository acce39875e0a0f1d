"""Staff pages of the registry under /registry/ (namespace "registry", names `<model>_<view>`)."""

from django.urls import path

from jiedao.registry.ui import (
    duplicates,
    enterprises,
    households,
    houses,
    migrants,
    persons,
    quality,
    tag_reviews,
    visits,
)

urlpatterns = [
    # 数据质量核查
    path("quality/", quality.QualityOverviewView.as_view(), name="quality"),
    path("quality/<slug:key>/", quality.QualityCheckListView.as_view(), name="quality_check"),
    path("quality/<slug:key>/export/", quality.QualityCheckExportView.as_view(), name="quality_export"),
    # persons
    path("persons/", persons.PersonListView.as_view(), name="person_list"),
    path("persons/export/", persons.PersonExportView.as_view(), name="person_export"),
    path("persons/new/", persons.PersonCreateView.as_view(), name="person_create"),
    path("persons/duplicates/", duplicates.DuplicateListView.as_view(), name="person_duplicates"),
    path(
        "persons/duplicates/action/", duplicates.DuplicateActionView.as_view(), name="person_duplicate_action"
    ),
    path("persons/move-in/", persons.PersonMoveInView.as_view(), name="person_move_in"),
    path("persons/<int:pk>/", persons.PersonDetailView.as_view(), name="person_detail"),
    path("persons/<int:pk>/edit/", persons.PersonEditView.as_view(), name="person_edit"),
    path("persons/<int:pk>/reveal/", persons.PersonRevealView.as_view(), name="person_reveal"),
    path("persons/<int:pk>/death/", persons.PersonDeathView.as_view(), name="person_death"),
    path("persons/<int:pk>/move-out/", persons.PersonMoveOutView.as_view(), name="person_move_out"),
    path("persons/<int:pk>/address/", persons.PersonAddressView.as_view(), name="person_address"),
    path("persons/<int:pk>/photo/", persons.PersonPhotoView.as_view(), name="person_photo"),
    path("persons/<int:pk>/tags/new/", persons.PersonTagAddView.as_view(), name="person_tag_add"),
    path(
        "persons/<int:pk>/tags/<int:tag_pk>/evidence/",
        persons.PersonTagEvidenceView.as_view(),
        name="person_tag_evidence",
    ),
    path(
        "persons/<int:pk>/tags/<int:tag_pk>/end/", persons.PersonTagEndView.as_view(), name="person_tag_end"
    ),
    path(
        "persons/<int:pk>/tags/<int:tag_pk>/renew/",
        tag_reviews.PersonTagRenewView.as_view(),
        name="person_tag_renew",
    ),
    path("tags/due-for-review/", tag_reviews.TagReviewListView.as_view(), name="tag_review"),
    path("tags/due-for-review/export/", tag_reviews.TagReviewExportView.as_view(), name="tag_review_export"),
    path("persons/<int:pk>/migrant/", persons.PersonMigrantView.as_view(), name="person_migrant"),
    # households
    path("households/", households.HouseholdListView.as_view(), name="household_list"),
    path("households/export/", households.HouseholdExportView.as_view(), name="household_export"),
    path("households/new/", households.HouseholdCreateView.as_view(), name="household_create"),
    path("households/<int:pk>/", households.HouseholdDetailView.as_view(), name="household_detail"),
    path("households/<int:pk>/edit/", households.HouseholdEditView.as_view(), name="household_edit"),
    path(
        "households/<int:pk>/members/add/",
        households.HouseholdMemberAddView.as_view(),
        name="household_member_add",
    ),
    path(
        "households/<int:pk>/members/<int:person_pk>/remove/",
        households.HouseholdMemberRemoveView.as_view(),
        name="household_member_remove",
    ),
    path("households/<int:pk>/birth/", households.HouseholdBirthView.as_view(), name="household_birth"),
    path(
        "households/<int:pk>/head/",
        households.HouseholdHeadChangeView.as_view(),
        name="household_head_change",
    ),
    path("households/<int:pk>/split/", households.HouseholdSplitView.as_view(), name="household_split"),
    path("households/<int:pk>/merge/", households.HouseholdMergeView.as_view(), name="household_merge"),
    # buildings and houses
    path("buildings/", houses.BuildingListView.as_view(), name="building_list"),
    path("buildings/export/", houses.BuildingExportView.as_view(), name="building_export"),
    path("buildings/new/", houses.BuildingCreateView.as_view(), name="building_create"),
    path("buildings/<int:pk>/", houses.BuildingDetailView.as_view(), name="building_detail"),
    path("buildings/<int:pk>/edit/", houses.BuildingEditView.as_view(), name="building_edit"),
    path("houses/", houses.HouseListView.as_view(), name="house_list"),
    path("houses/export/", houses.HouseExportView.as_view(), name="house_export"),
    path("houses/new/", houses.HouseCreateView.as_view(), name="house_create"),
    path("houses/<int:pk>/", houses.HouseDetailView.as_view(), name="house_detail"),
    path("houses/<int:pk>/edit/", houses.HouseEditView.as_view(), name="house_edit"),
    # 入户走访核查
    path("houses/due-for-visit/", visits.VisitDueListView.as_view(), name="house_visit_due"),
    path("houses/due-for-visit/export/", visits.VisitDueExportView.as_view(), name="house_visit_due_export"),
    path("houses/<int:pk>/visits/new/", visits.HouseVisitCreateView.as_view(), name="house_visit_create"),
    # enterprises
    path("enterprises/", enterprises.EnterpriseListView.as_view(), name="enterprise_list"),
    path("enterprises/export/", enterprises.EnterpriseExportView.as_view(), name="enterprise_export"),
    path("enterprises/new/", enterprises.EnterpriseCreateView.as_view(), name="enterprise_create"),
    path("enterprises/<int:pk>/", enterprises.EnterpriseDetailView.as_view(), name="enterprise_detail"),
    path("enterprises/<int:pk>/edit/", enterprises.EnterpriseEditView.as_view(), name="enterprise_edit"),
    # migrants
    path("migrants/", migrants.MigrantListView.as_view(), name="migrant_list"),
    path("migrants/export/", migrants.MigrantExportView.as_view(), name="migrant_export"),
]
