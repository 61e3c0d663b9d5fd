from django.urls import path

from studies import invitation_views, views

app_name = "studies"
urlpatterns = [
    path("studies/", views.study_list, name="list"),
    path(
        "studies/<int:study_id>/invitations.csv",
        invitation_views.invitations_csv,
        name="invitations-csv",
    ),
    path("i/<str:token>/opt-out/", invitation_views.opt_out, name="opt-out"),
]
