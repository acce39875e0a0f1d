from django.urls import path

from jiedao.applications import views

app_name = "applications"
urlpatterns = [
    # residents and the public
    path("", views.HallView.as_view(), name="hall"),
    path("account/login/", views.ResidentLoginView.as_view(), name="resident_login"),
    path("account/verify/", views.ResidentVerifyView.as_view(), name="resident_verify"),
    path("account/identity/", views.ResidentIdentityView.as_view(), name="resident_identity"),
    path("account/logout/", views.ResidentLogoutView.as_view(), name="resident_logout"),
    path("me/", views.ResidentHomeView.as_view(), name="resident_home"),
    path("me/apply/<int:item_pk>/", views.ResidentApplyView.as_view(), name="resident_apply"),
    path("me/applications/<int:pk>/", views.ResidentApplicationView.as_view(), name="resident_application"),
    path(
        "me/applications/<int:pk>/resubmit/", views.ResidentResubmitView.as_view(), name="resident_resubmit"
    ),
    path("me/applications/<int:pk>/supply/", views.ResidentSupplyView.as_view(), name="resident_supply"),
    path("me/applications/<int:pk>/rate/", views.ResidentRateView.as_view(), name="resident_rate"),
    path(
        "me/applications/<int:pk>/withdraw/", views.ResidentWithdrawView.as_view(), name="resident_withdraw"
    ),
    path(
        "me/applications/<int:pk>/outcome.pdf",
        views.ResidentOutcomeDocumentView.as_view(),
        name="resident_outcome_document",
    ),
    path(
        "me/applications/<int:pk>/certificates/<int:certificate>.pdf",
        views.ResidentCertificateView.as_view(),
        name="resident_certificate",
    ),
    path(
        "me/applications/<int:pk>/notices/<slug:kind>/",
        views.ResidentWrittenNoticeView.as_view(),
        name="resident_notice",
    ),
    path(
        "me/applications/<int:pk>/notices/<slug:kind>/<int:number>/",
        views.ResidentWrittenNoticeView.as_view(),
        name="resident_notice",
    ),
    path("me/phone/", views.ResidentPhoneView.as_view(), name="resident_phone"),
    path("me/phone/verify/", views.ResidentPhoneVerifyView.as_view(), name="resident_phone_verify"),
    path("me/close/", views.ResidentCloseView.as_view(), name="resident_close"),
    path("me/close/verify/", views.ResidentCloseVerifyView.as_view(), name="resident_close_verify"),
    path("track/", views.TrackView.as_view(), name="track"),
    path("notices/", views.NoticeListView.as_view(), name="notice_list"),
    path("notices/<int:pk>/", views.NoticeDetailView.as_view(), name="notice_detail"),
    # staff
    path("staff/residents/phone/", views.WindowResidentFindView.as_view(), name="window_resident_find"),
    path(
        "staff/residents/<int:pk>/phone/",
        views.WindowResidentPhoneView.as_view(),
        name="window_resident_phone",
    ),
    path(
        "staff/residents/<int:pk>/phone/verify/",
        views.WindowResidentPhoneVerifyView.as_view(),
        name="window_resident_phone_verify",
    ),
    path("staff/applications/", views.ApplicationListView.as_view(), name="staff_list"),
    path("staff/applications/export/", views.ApplicationLedgerExportView.as_view(), name="staff_export"),
    path("staff/applications/new/", views.WalkInView.as_view(), name="walk_in"),
    path("staff/applications/<int:pk>/", views.ApplicationDetailView.as_view(), name="staff_detail"),
    path("staff/applications/<int:pk>/accept/", views.AcceptView.as_view(), name="staff_accept"),
    path(
        "staff/applications/<int:pk>/accept-deferred/",
        views.AcceptDeferredView.as_view(),
        name="staff_accept_deferred",
    ),
    path("staff/applications/<int:pk>/supply/", views.StaffSupplyView.as_view(), name="staff_supply"),
    path(
        "staff/applications/<int:pk>/start-process/",
        views.StartProcessView.as_view(),
        name="staff_start_process",
    ),
    path("staff/applications/<int:pk>/correct/", views.CorrectView.as_view(), name="staff_correct"),
    path("staff/applications/<int:pk>/resubmit/", views.StaffResubmitView.as_view(), name="staff_resubmit"),
    path("staff/applications/<int:pk>/reject/", views.RejectView.as_view(), name="staff_reject"),
    path("staff/applications/<int:pk>/withdraw/", views.WithdrawView.as_view(), name="staff_withdraw"),
    path("staff/applications/<int:pk>/deliver/", views.DeliverView.as_view(), name="staff_deliver"),
    path("staff/applications/<int:pk>/suspend/", views.SuspendView.as_view(), name="staff_suspend"),
    path("staff/applications/<int:pk>/resume/", views.ResumeView.as_view(), name="staff_resume"),
    path("staff/applications/<int:pk>/extend/", views.ExtendView.as_view(), name="staff_extend"),
    path("staff/applications/<int:pk>/conclude/", views.ConcludeView.as_view(), name="staff_conclude"),
    path("staff/applications/<int:pk>/rate/", views.StaffRateView.as_view(), name="staff_rate"),
    path(
        "staff/applications/<int:pk>/materials/<int:material_pk>/",
        views.MaterialDownloadView.as_view(),
        name="staff_material",
    ),
    path(
        "staff/applications/<int:pk>/outcome.pdf",
        views.OutcomeDocumentDownloadView.as_view(),
        name="staff_outcome_document",
    ),
    path(
        "staff/applications/<int:pk>/notices/<slug:kind>/",
        views.WrittenNoticeView.as_view(),
        name="staff_notice",
    ),
    path(
        "staff/applications/<int:pk>/notices/<slug:kind>/<int:number>/",
        views.WrittenNoticeView.as_view(),
        name="staff_notice",
    ),
    path(
        "staff/applications/<int:pk>/certificate/",
        views.CertificateIssueView.as_view(),
        name="staff_certificate",
    ),
    path(
        "staff/applications/<int:pk>/certificates/<int:certificate>.pdf",
        views.CertificatePrintView.as_view(),
        name="staff_certificate_print",
    ),
    path(
        "staff/applications/<int:pk>/certificates/<int:certificate>/revoke/",
        views.CertificateRevokeView.as_view(),
        name="staff_certificate_revoke",
    ),
    path("staff/inquiries/", views.InquiryListView.as_view(), name="inquiry_list"),
    path("staff/inquiries/new/", views.InquiryCreateView.as_view(), name="inquiry_create"),
    path("staff/inquiries/<int:pk>/", views.InquiryDetailView.as_view(), name="inquiry_detail"),
    path(
        "staff/inquiries/<int:pk>/hand-over/", views.InquiryHandOverView.as_view(), name="inquiry_hand_over"
    ),
    path("staff/inquiries/<int:pk>/answer/", views.InquiryAnswerView.as_view(), name="inquiry_answer"),
    path(
        "staff/handovers/<int:pk>/acknowledge/", views.HandOverAcknowledgeView.as_view(), name="handover_ack"
    ),
    path("staff/agency/", views.AgencyListView.as_view(), name="agency_list"),
    path("staff/agency/new/", views.AgencyCreateView.as_view(), name="agency_create"),
    path("staff/agency/mine/", views.MyAgencyApplicationsView.as_view(), name="agency_mine"),
    path("staff/ratings/", views.RatingStatsView.as_view(), name="rating_stats"),
    path("staff/ratings/export/", views.RatingStatsExportView.as_view(), name="rating_stats_export"),
    path("staff/statistics/", views.ApplicationStatisticsView.as_view(), name="statistics"),
    path(
        "staff/statistics/export/",
        views.ApplicationStatisticsExportView.as_view(),
        name="statistics_export",
    ),
    path("staff/rectifications/", views.RectificationListView.as_view(), name="rectification_list"),
    path(
        "staff/rectifications/<int:pk>/close/",
        views.RectificationCloseView.as_view(),
        name="rectification_close",
    ),
    path("staff/objections/", views.ObjectionListView.as_view(), name="objection_list"),
    path(
        "staff/objections/<int:pk>/resolve/", views.ObjectionResolveView.as_view(), name="objection_resolve"
    ),
    # the 评价器 at a window: a paired device, no login
    path("pad/pair/<str:token>/", views.PadPairView.as_view(), name="pad_pair"),
    path("pad/<int:pk>/", views.PadView.as_view(), name="pad"),
    path("staff/windows/", views.WindowListView.as_view(), name="window_list"),
    path("staff/windows/new/", views.WindowCreateView.as_view(), name="window_create"),
    path("staff/windows/<int:pk>/pads/", views.WindowPadsView.as_view(), name="window_pads"),
    path(
        "staff/windows/<int:pk>/pads/<int:device_pk>/revoke/",
        views.PadRevokeView.as_view(),
        name="pad_revoke",
    ),
    path("staff/windows/<int:pk>/edit/", views.WindowEditView.as_view(), name="window_edit"),
]
