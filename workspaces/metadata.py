from typing import Any

from rest_framework.metadata import SimpleMetadata
from rest_framework.request import Request


class BasicMetadata(SimpleMetadata):
    """OPTIONS answers name, description, renders and parses; the OpenAPI schema at
    /api/v1/schema/ is where request shapes are documented (and introspecting the
    serializers of every view here would fail on views that parse their own bodies)."""

    def determine_metadata(self, request: Request, view: Any) -> dict[str, Any]:
        return {
            "name": view.get_view_name(),
            "description": view.get_view_description(),
            "renders": [renderer.media_type for renderer in view.renderer_classes],
            "parses": [parser.media_type for parser in view.parser_classes],
            "schema": "/api/v1/schema/",
        }
