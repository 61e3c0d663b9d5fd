"""The respondent's API: the interview behind a token, and answers to its steps.

Anonymous: the token in the path is the only credential and opens that interview
alone (no session, no key, so no CSRF either). Rate limited per token and per
address (interviews/ratelimit.py): 429 with `Retry-After`.

Errors are `{"error": ..., "detail": {"code": ...}}`: 400 `invalid_answer` (a message
the respondent can act on) or `unknown_step`; 404 `not_found` (unknown token); 409
`answered`, `completed`, `paused` (the study is paused: come back later); 410
`expired`, `opted_out`, `closed` (the link no longer works, for good).
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from interviews import ratelimit, services
from interviews.models import Interview
from interviews.serializers import (
    AnswerInputSerializer,
    InterviewErrorSerializer,
    InterviewStateSerializer,
)
from interviews.state import interview_state
from workspaces.scoping import WorkspaceExemptAPIView
from workspaces.untrusted import MAX_ID

ERRORS = {
    404: OpenApiResponse(InterviewErrorSerializer, description="Unknown token."),
    409: OpenApiResponse(
        InterviewErrorSerializer,
        description="answered (the step was answered before), completed, or paused.",
    ),
    410: OpenApiResponse(
        InterviewErrorSerializer, description="expired, opted_out, or closed: the link is gone."
    ),
    429: OpenApiResponse(
        InterviewErrorSerializer, description="Too many requests; see Retry-After."
    ),
}


def error_response(message: str, code: str, status_code: int, **detail: Any) -> Response:
    return Response({"error": message, "detail": {"code": code, **detail}}, status=status_code)


class RespondentApi(WorkspaceExemptAPIView):
    workspace_exempt_reason = (
        "The respondent's interview token is the credential and opens that interview alone."
    )
    authentication_classes: list[type] = []
    permission_classes = [AllowAny]
    queryset = Interview.objects.all()

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        limited = ratelimit.check(request, str(kwargs.get("token", "")))
        if limited is not None:
            raise RateLimited(limited.retry_after)

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, RateLimited):
            response = error_response(
                f"Too many requests; please try again in {exc.retry_after} seconds.",
                "rate_limited",
                status.HTTP_429_TOO_MANY_REQUESTS,
                retry_after=exc.retry_after,
            )
            response["Retry-After"] = str(exc.retry_after)
            return response
        if isinstance(exc, services.InterviewError):
            detail: dict[str, Any] = {"field": exc.field} if exc.field else {}
            return error_response(exc.message, exc.code, exc.status_code, **detail)
        return super().handle_exception(exc)

    def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any) -> Any:
        response = super().finalize_response(request, response, *args, **kwargs)
        response["Cache-Control"] = "no-store"
        response["Referrer-Policy"] = "no-referrer"  # the URL holds the credential
        return response


class RateLimited(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__(f"retry after {retry_after}s")
        self.retry_after = retry_after


class InterviewApi(RespondentApi):
    @extend_schema(
        operation_id="interview_retrieve",
        responses={200: InterviewStateSerializer, **ERRORS},
        auth=[],
    )
    def get(self, request: Request, token: str) -> Response:
        """The interview behind the token: status, progress and the current step.

        The first open starts the interview (the invitation becomes `opened`).
        """
        interview = services.interview_open(token=token)
        return Response(interview_state(interview).as_data())


class AnswerApi(RespondentApi):
    @extend_schema(
        operation_id="interview_answer",
        request=AnswerInputSerializer,
        responses={
            200: InterviewStateSerializer,
            400: OpenApiResponse(InterviewErrorSerializer, description="A wrong value."),
            **ERRORS,
        },
        auth=[],
    )
    def post(self, request: Request, token: str) -> Response:
        """Answer the current step; returns the interview with its next step.

        The answer is committed before the moderator is asked for a follow-up, so a
        moderator failure loses nothing. Answering through the API implies consent.
        """
        body = request.data
        if not isinstance(body, dict):
            return error_response(
                'Send a JSON object: {"step": <id>, "value": <answer>}.', "invalid", 400
            )
        step = body.get("step")
        if not isinstance(step, int) or isinstance(step, bool) or not 0 < step <= MAX_ID:
            return error_response(
                "step: the id of the current step, a whole number.", "invalid", 400, field="step"
            )
        if "value" not in body:
            return error_response(
                "value: required; null skips an optional question.", "invalid", 400, field="value"
            )
        state = services.answer(token=token, step_id=step, value=body["value"])
        return Response(state.as_data())
