from rest_framework.routers import SimpleRouter

from studies import api


# DESIGN.md writes `/studies/{id}/launch` without a trailing slash and
# `/studies/{id}/invitations/` with one: accept both.
class OptionalSlashRouter(SimpleRouter):
    def __init__(self) -> None:
        super().__init__()
        self.trailing_slash = "/?"


router = OptionalSlashRouter()
router.register("studies", api.StudyViewSet, basename="study")

urlpatterns = router.urls
