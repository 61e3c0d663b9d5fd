"""System check: every API view is workspace-scoped or explicitly exempt with a reason."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.core import checks
from django.urls import URLPattern, URLResolver, get_resolver

from workspaces.scoping import ApiKeyView, WorkspaceExemptAPIView, WorkspaceScoped

# The REST API, and the site-root routes of Segment's HTTP tracking API (people/sdk_urls.py).
API_PREFIXES = ("api/v1/", "v1/")
# drf-spectacular's own schema and docs views are public documentation.
DOC_VIEWS = {"SpectacularAPIView", "SpectacularSwaggerView", "SpectacularRedocView"}


def iter_api_views(
    patterns: list[Any] | None = None, prefix: str = ""
) -> Iterator[tuple[str, URLPattern, type]]:
    """Yield (route, pattern, view class) for every API view: DRF views and `ApiKeyView`s."""
    if patterns is None:
        patterns = get_resolver().url_patterns
    for entry in patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from iter_api_views(entry.url_patterns, route)
        elif isinstance(entry, URLPattern) and route.lstrip("^").startswith(API_PREFIXES):
            # DRF's as_view() sets `cls`, Django's `view_class`.
            view_class = getattr(entry.callback, "cls", None) or getattr(
                entry.callback, "view_class", None
            )
            if view_class is not None:
                yield route, entry, view_class


@checks.register(checks.Tags.security)
def check_api_views_are_scoped(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    errors: list[checks.CheckMessage] = []
    for route, _pattern, view_class in iter_api_views():
        if view_class.__name__ in DOC_VIEWS or issubclass(view_class, WorkspaceScoped | ApiKeyView):
            continue
        if issubclass(view_class, WorkspaceExemptAPIView) and view_class.workspace_exempt_reason:
            continue
        errors.append(
            checks.Error(
                f"API view {view_class.__module__}.{view_class.__name__} at /{route} is not "
                "workspace-scoped.",
                hint="Subclass workspaces.scoping.WorkspaceAPIView/WorkspaceViewSet or "
                "ApiKeyView, or WorkspaceExemptAPIView with a workspace_exempt_reason.",
                id="workspaces.E001",
            )
        )
    return errors
