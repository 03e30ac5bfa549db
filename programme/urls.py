from django.urls import path

from . import (
    dashboard_views,
    digest_views,
    measured_views,
    partner_views,
    postmortem_views,
    report_views,
    share_views,
    strategy_views,
    stream_views,
    team_views,
    views,
)

app_name = "programme"

urlpatterns = [
    path("", dashboard_views.home, name="home"),
    path("review/", views.review_queue, name="review"),
    path("review/<int:pk>/<slug:step>/", views.review_step, name="review-step"),
    path("insights/", views.insight_index, name="insights"),
    path("insights/<slug:name>/", views.insight_detail, name="insight"),
    path(
        "dashboard/objectives/",
        dashboard_views.dashboard_objectives,
        name="dashboard-objectives",
    ),
    path("dashboard/programme/", dashboard_views.dashboard_programme, name="dashboard-programme"),
    path("objectives/", strategy_views.objective_list, name="objectives"),
    path("objectives/new/", strategy_views.objective_create, name="objective-create"),
    path("objectives/<int:pk>/", strategy_views.objective_detail, name="objective"),
    path("objectives/<int:pk>/edit/", strategy_views.objective_edit, name="objective-edit"),
    path(
        "objectives/<int:pk>/archive/", strategy_views.objective_archive, name="objective-archive"
    ),
    path(
        "objectives/<int:pk>/measure/", measured_views.objective_measure, name="objective-measure"
    ),
    path("holdouts/", measured_views.holdout_list, name="holdouts"),
    path("holdouts/<int:pk>/", measured_views.holdout_detail, name="holdout"),
    path("holdouts/<int:pk>/upload/", measured_views.holdout_upload, name="holdout-upload"),
    path("segments/", strategy_views.segment_list, name="segments"),
    path("segments/<int:pk>/", strategy_views.segment_detail, name="segment"),
    path("segments/<int:pk>/sunset/", strategy_views.segment_sunset, name="segment-sunset"),
    path("segments/<int:pk>/launch/", strategy_views.segment_launch, name="segment-launch"),
    path(
        "segments/<int:pk>/economics/",
        team_views.segment_economics_upload,
        name="segment-economics",
    ),
    path("team/", strategy_views.team, name="team"),
    path("team/teams/new/", team_views.team_form, name="team-new"),
    path("team/teams/<int:pk>/", team_views.team_form, name="team-edit"),
    path("team/operators/new/", team_views.operator_form, name="operator-new"),
    path("team/operators/<int:pk>/", team_views.operator_form, name="operator-edit"),
    path("partners/", partner_views.partner_list, name="partners"),
    path("partners/new/", partner_views.partner_form, name="partner-new"),
    path("partners/<int:pk>/edit/", partner_views.partner_form, name="partner-edit"),
    path("partners/<int:pk>/users/new/", partner_views.partner_user_form, name="partner-user-new"),
    path("partners/<int:pk>/", partner_views.partner_scorecard_page, name="partner-scorecard"),
    path("streams/", stream_views.stream_list, name="streams"),
    path("streams/<int:pk>/", stream_views.stream_detail, name="stream"),
    path("digest/", digest_views.digest_preference, name="digest-preference"),
    path("reports/", report_views.report_list, name="reports"),
    path("reports/<int:pk>/", report_views.report_detail, name="report"),
    path("experiments/<int:pk>/shares/", share_views.experiment_shares, name="experiment-shares"),
    path("shares/<int:pk>/revoke/", share_views.share_revoke, name="share-revoke"),
    path(
        "experiments/<int:pk>/postmortem/",
        postmortem_views.experiment_postmortem,
        name="experiment-postmortem",
    ),
    path(
        "experiments/<int:pk>/postmortem/edit/",
        postmortem_views.postmortem_edit,
        name="postmortem-edit",
    ),
    path("postmortems/", postmortem_views.postmortem_search, name="postmortems"),
    path("notices/", postmortem_views.notice_list, name="notices"),
    path("notices/read/", postmortem_views.notices_read, name="notices-read"),
    # A shared read-out: opens without an account (programme/shares.py).
    path("r/<str:token>/", share_views.readout, name="readout"),
]
