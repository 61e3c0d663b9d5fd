from django.urls import path

from workspaces import views

urlpatterns = [
    path("", views.home, name="home"),
    path("settings/", views.settings_page, name="settings"),
    path("settings/keys/", views.api_key_create, name="api-key-create"),
    path("settings/keys/<int:key_id>/revoke/", views.api_key_revoke, name="api-key-revoke"),
    path("settings/invites/", views.member_invite, name="member-invite"),
    path(
        "settings/invites/<int:invite_id>/revoke/",
        views.member_invite_revoke,
        name="member-invite-revoke",
    ),
    path("workspaces/switch/", views.workspace_switch, name="workspace-switch"),
    path("workspaces/new/", views.workspace_new, name="workspace-new"),
    path("join/<str:token>/", views.invite_accept, name="invite-accept"),
]
