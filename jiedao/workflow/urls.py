from django.urls import path

from jiedao.workflow import views

app_name = "workflow"
urlpatterns = [
    path("inbox/", views.InboxView.as_view(), name="inbox"),
    path("inbox/batch-complete/", views.BatchCompleteView.as_view(), name="batch_complete"),
    path("tasks/<int:pk>/", views.TaskDetailView.as_view(), name="task_detail"),
    path("tasks/<int:pk>/<slug:action>/", views.TaskActionView.as_view(), name="task_action"),
    path("instances/", views.InstanceListView.as_view(), name="instance_list"),
    path("instances/<int:pk>/", views.InstanceDetailView.as_view(), name="instance_detail"),
    path("instances/<int:pk>/withdraw/", views.InstanceWithdrawView.as_view(), name="instance_withdraw"),
    path("instances/<int:pk>/revoke/", views.InstanceRevokeView.as_view(), name="instance_revoke"),
    path("instances/<int:pk>/retry/", views.InstanceRetryView.as_view(), name="instance_retry"),
    path("instances/<int:pk>/urge/", views.InstanceUrgeView.as_view(), name="instance_urge"),
    path("instances/<int:pk>/reassign/", views.InstanceReassignView.as_view(), name="instance_reassign"),
    path("instances/<int:pk>/copy/", views.InstanceCopyView.as_view(), name="instance_copy"),
    path("instances/<int:pk>/copy-comment/", views.CopyCommentView.as_view(), name="copy_comment"),
    path("proxies/", views.ProxyListView.as_view(), name="proxies"),
    path("opinions/", views.OpinionPhraseListView.as_view(), name="opinion_phrases"),
    path(
        "opinions/<int:pk>/<slug:action>/",
        views.OpinionPhraseActionView.as_view(),
        name="opinion_phrase_action",
    ),
    path("proxies/<int:pk>/cancel/", views.ProxyCancelView.as_view(), name="proxy_cancel"),
    path(
        "instances/<int:pk>/documents/<int:document_pk>/",
        views.InstanceDocumentView.as_view(),
        name="instance_document",
    ),
    path("start/", views.StartListView.as_view(), name="start_list"),
    path("start/<str:key>/", views.StartView.as_view(), name="start"),
    path("definitions/", views.DefinitionListView.as_view(), name="definition_list"),
    path("definitions/new/", views.DefinitionCreateView.as_view(), name="definition_create"),
    path("definitions/<int:pk>/edit/", views.DesignerView.as_view(), name="definition_edit"),
    path("definitions/<int:pk>/save/", views.DefinitionSaveView.as_view(), name="definition_save"),
    path(
        "definitions/<int:pk>/deploy/",
        views.DefinitionSaveView.as_view(deploy=True),
        name="definition_deploy",
    ),
    path("definitions/<int:pk>/import/", views.DefinitionImportView.as_view(), name="definition_import"),
    path("definitions/<int:pk>/bpmn/", views.DefinitionExportView.as_view(), name="definition_export"),
    path(
        "definitions/<int:pk>/new-version/",
        views.DefinitionNewVersionView.as_view(),
        name="definition_new_version",
    ),
    path("definitions/<int:pk>/delete/", views.DefinitionDeleteView.as_view(), name="definition_delete"),
    path("definitions/<int:pk>/retire/", views.DefinitionRetireView.as_view(), name="definition_retire"),
]
