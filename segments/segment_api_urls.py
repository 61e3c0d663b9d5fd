from django.urls import path
from rest_framework.routers import SimpleRouter

from segments import segment_api


# DESIGN.md writes some routes with a trailing slash (`members/`, `overlap/`) and some
# without (`preview`, `{id}/compute`, `{id}/members` for the push): accept both.
class OptionalSlashRouter(SimpleRouter):
    def __init__(self) -> None:
        super().__init__()
        self.trailing_slash = "/?"


router = OptionalSlashRouter()
router.register("segments", segment_api.SegmentViewSet, basename="segment")

urlpatterns = [
    path(
        "segments/<int:pk>/webhook",
        segment_api.SegmentWebhookApi.as_view(),
        name="segment-webhook",
    ),
    *router.urls,
]
