from django.urls import path
from rest_framework.routers import SimpleRouter

from segments import api


# DESIGN.md writes some routes with a trailing slash (`members/`, `overlap/`) and some
# without (`preview`, `{id}/compute`, `{id}/members` for the push): accept both.
class OptionalSlashRouter(SimpleRouter):
    def __init__(self) -> None:
        super().__init__()
        self.trailing_slash = "/?"


router = OptionalSlashRouter()
router.register("segments", api.SegmentViewSet, basename="segment")

urlpatterns = [
    path(
        "segments/<int:pk>/webhook",
        api.SegmentWebhookApi.as_view(),
        name="segment-webhook",
    ),
    *router.urls,
]
