from django.urls import path

from segments import views

app_name = "segments"
urlpatterns = [
    path("segments/", views.segment_list, name="list"),
    path("segments/new/", views.segment_new, name="new"),
    path("segments/new/rfm/", views.segment_rfm_new, name="new-rfm"),
    path("segments/new/cluster/", views.segment_cluster_new, name="new-cluster"),
    path("segments/new/static/", views.segment_static_new, name="new-static"),
    path("segments/new/external/", views.segment_external_new, name="new-external"),
    path("segments/preview/", views.segment_preview, name="preview"),
    path("segments/preview/rfm/", views.segment_rfm_preview, name="preview-rfm"),
    path("segments/preview/cluster/", views.segment_cluster_preview, name="preview-cluster"),
    path("segments/<int:segment_id>/", views.segment_detail, name="detail"),
    path("segments/<int:segment_id>/members.csv", views.segment_members_csv, name="members-csv"),
    path("segments/<int:segment_id>/edit/", views.segment_edit, name="edit"),
    path("segments/<int:segment_id>/compute/", views.segment_compute_view, name="compute"),
    path(
        "segments/<int:segment_id>/compute/status/",
        views.segment_compute_status,
        name="compute-status",
    ),
    path("segments/<int:segment_id>/playbook/", views.segment_playbook, name="playbook"),
    path("segments/<int:segment_id>/rename/", views.segment_rename, name="rename"),
    path("segments/<int:segment_id>/active/", views.segment_active, name="active"),
    path("segments/<int:segment_id>/archive/", views.segment_archive, name="archive"),
    path("segments/<int:segment_id>/delete/", views.segment_delete, name="delete"),
]
