from rest_framework.routers import SimpleRouter

from reports import api


class OptionalSlashRouter(SimpleRouter):
    """`/reports/{id}/` with its slash (DESIGN.md) and `/reports/{id}/export.csv` without."""

    def __init__(self) -> None:
        super().__init__()
        self.trailing_slash = "/?"


router = OptionalSlashRouter()
router.register("reports", api.ReportViewSet, basename="report")

urlpatterns = router.urls
