"""One JSON error shape for the API: {"error": "...", "detail": {...}}, always 4xx for bad input."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from workspaces.services import ServiceError


def _summary(detail: Any) -> str:
    """The first human message inside a DRF detail structure."""
    if isinstance(detail, dict):
        for key, value in detail.items():
            inner = _summary(value)
            return inner if key in ("non_field_errors", "detail") else f"{key}: {inner}"
        return "Invalid request."
    if isinstance(detail, list):
        return _summary(detail[0]) if detail else "Invalid request."
    return str(detail)


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, ServiceError):
        detail = {exc.field: [exc.message]} if exc.field else {}
        return Response({"error": exc.message, "detail": detail}, status=exc.status_code)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound("Not found.")
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = exception_handler(exc, context)
    if response is None:
        return None
    data = response.data
    if isinstance(exc, exceptions.ValidationError):
        detail = data if isinstance(data, dict) else {"non_field_errors": data}
        response.data = {"error": _summary(data), "detail": detail}
    else:
        message = data.get("detail", "") if isinstance(data, dict) else _summary(data)
        response.data = {
            "error": str(message),
            "detail": {"code": getattr(exc, "default_code", "")},
        }
    return response


def _json_error(message: str, code: str, status_code: int) -> JsonResponse:
    return JsonResponse({"error": message, "detail": {"code": code}}, status=status_code)


def json_not_found(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return _json_error("Not found.", "not_found", status.HTTP_404_NOT_FOUND)


def json_server_error(request: HttpRequest) -> JsonResponse:
    return _json_error("Something went wrong on our side; it has been logged.", "server_error", 500)


def json_bad_request(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return _json_error("Bad request.", "bad_request", status.HTTP_400_BAD_REQUEST)
