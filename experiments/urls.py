from django.urls import path

from . import design_views, hypothesis_views, template_views, views

app_name = "experiments"

urlpatterns = [
    path("search/", views.search, name="search"),
    path("hypotheses/", hypothesis_views.hypothesis_list, name="hypothesis-list"),
    path("hypotheses/new/", hypothesis_views.hypothesis_create, name="hypothesis-create"),
    path("hypotheses/<int:pk>/", hypothesis_views.hypothesis_detail, name="hypothesis-detail"),
    path("hypotheses/<int:pk>/score/", hypothesis_views.hypothesis_score, name="hypothesis-score"),
    path(
        "hypotheses/<int:pk>/triage/", hypothesis_views.hypothesis_triage, name="hypothesis-triage"
    ),
    path(
        "hypotheses/<int:pk>/design/",
        design_views.experiment_design_create,
        name="design-create",
    ),
    path("templates/", template_views.template_list, name="templates"),
    path("templates/new/", template_views.template_create, name="template-create"),
    path("templates/<int:pk>/edit/", template_views.template_edit, name="template-edit"),
    path("experiments/", views.experiment_list, name="list"),
    path("experiments.csv", views.experiment_list_csv, name="list-csv"),
    path("learnings/", views.learnings, name="learnings"),
    path("experiments/<int:pk>/", views.experiment_detail, name="detail"),
    path("experiments/<int:pk>/edit/", design_views.experiment_design_edit, name="design-edit"),
    path("experiments/<int:pk>/steps/<slug:step>/", views.experiment_step, name="step"),
    path("experiments/<int:pk>/cost/", views.experiment_cost, name="cost"),
]
