"""The committed OpenAPI schema (docs/openapi.yaml) matches the code: an API change is deliberate.

After an intended change run `make schema` and commit docs/openapi.yaml.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema
from rest_framework.test import APIClient

SNAPSHOT = Path(__file__).resolve().parent.parent / "docs" / "openapi.yaml"


@pytest.mark.django_db
def test_schema_is_served_and_valid():
    response = APIClient().get("/api/v1/schema/?format=json")
    assert response.status_code == 200
    schema = response.json()
    validate_schema(schema)
    assert schema["components"]["securitySchemes"]["ApiKeyAuth"]["scheme"] == "bearer"


@pytest.mark.django_db
def test_docs_page_serves_local_assets_only():
    response = APIClient().get("/api/v1/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    assert "cdn.jsdelivr" not in html and "unpkg" not in html


def test_committed_schema_matches_the_code():
    generated = SchemaGenerator().get_schema(request=None, public=True)
    committed = yaml.safe_load(SNAPSHOT.read_text())
    assert yaml.safe_load(yaml.safe_dump(generated)) == committed, (
        "The API changed. If intended, run `make schema` and commit docs/openapi.yaml."
    )
