from django.urls import path

from studies import invitation_views, views

app_name = "studies"
urlpatterns = [
    path("studies/", views.study_list, name="list"),
    path("studies/new/", views.study_new, name="new"),
    path("studies/<int:study_id>/", views.study_detail, name="detail"),
    path("studies/<int:study_id>/edit/", views.study_edit, name="edit"),
    path("studies/<int:study_id>/launch/", views.study_launch, name="launch"),
    path("studies/<int:study_id>/pause/", views.study_pause, name="pause"),
    path("studies/<int:study_id>/resume/", views.study_resume, name="resume"),
    path("studies/<int:study_id>/close/", views.study_close, name="close"),
    path("studies/<int:study_id>/delete/", views.study_delete, name="delete"),
    path(
        "studies/<int:study_id>/invitations.csv",
        invitation_views.invitations_csv,
        name="invitations-csv",
    ),
    path("i/<str:token>/opt-out/", invitation_views.opt_out, name="opt-out"),
]
