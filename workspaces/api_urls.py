from django.urls import path
from rest_framework.routers import SimpleRouter

from workspaces import api

router = SimpleRouter(trailing_slash=True)
router.register("api-keys", api.ApiKeyViewSet, basename="api-key")
router.register("members", api.MemberViewSet, basename="member")

urlpatterns = [
    path("workspace/", api.CurrentWorkspaceApi.as_view(), name="workspace-current"),
    *router.urls,
]
