"""Template helpers for the report page."""

from __future__ import annotations

from django import template
from django.urls import reverse

register = template.Library()


@register.simple_tag
def transcript_url(study_id: int, interview: str) -> str:
    """The researcher's transcript of the quoted interview; "" for an id that is not one."""
    text = str(interview)
    if not (text.isascii() and text.isdigit() and len(text) <= 18):
        return ""
    return reverse("interviews:detail", args=[study_id, int(text)])
