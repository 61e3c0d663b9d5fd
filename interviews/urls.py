from django.urls import path

from interviews import preview, review_views, views

app_name = "interviews"
urlpatterns = [
    path("i/<str:token>/", views.respond, name="respond"),
    path("i/<str:token>/start/", views.consent, name="consent"),
    path("studies/<int:study_id>/interviews/", review_views.interview_list, name="list"),
    path(
        "studies/<int:study_id>/interviews/<int:interview_id>/",
        review_views.interview_detail,
        name="detail",
    ),
    path(
        "studies/<int:study_id>/interviews/<int:interview_id>/inclusion/",
        review_views.interview_inclusion,
        name="inclusion",
    ),
    path("studies/<int:study_id>/interviews.csv", review_views.transcripts_csv, name="export-csv"),
    path(
        "studies/<int:study_id>/interviews.json",
        review_views.transcripts_json,
        name="export-json",
    ),
    path("studies/<int:study_id>/preview/", preview.preview, name="preview"),
    path(
        "studies/<int:study_id>/preview/restart/", preview.preview_restart, name="preview-restart"
    ),
]
