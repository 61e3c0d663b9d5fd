"""Forms of the study pages: the study's own fields (`StudySettingsForm`) and the first
step of a new study (`NewStudyForm`). The question editors are `studies.builder`.

Bounds and choices are checked by `studies.services`, as for the API; these forms only
parse what the browser sends and refuse text a database cannot store.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Final

from django import forms

from segments.models import Segment
from studies.channels import channel_names
from studies.models import ModeratorTone, Study, StudyMode
from workspaces.untrusted import text_problem

CHANNEL_LABELS: Final = {
    "email": "Email, sent by Motive",
    "link": "Links only: export them for your CRM",
}


def _clean_text(value: str) -> str:
    problem = text_problem(value)
    if problem:
        raise forms.ValidationError(f"This text {problem}.")
    return value


class StudySettingsForm(forms.Form):
    """The study's own fields. Bounds and choices are checked by `services` (as for the
    API); this form only parses what the browser sends."""

    title = forms.CharField(max_length=200)
    objective = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="The decision this study informs.",
    )
    segments = forms.TypedMultipleChoiceField(
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Target segments",
        help_text="Someone in several is invited once, for the first one listed.",
    )
    mode = forms.ChoiceField(choices=StudyMode.choices, widget=forms.RadioSelect)
    quota_per_segment = forms.IntegerField(label="Quota per segment")
    recontact_days = forms.IntegerField(
        label="Recontact days",
        help_text="Skip anyone invited to any study in this many days.",
    )
    account_cap = forms.IntegerField(
        required=False,
        label="People per account",
        help_text="Buying committees: at most this many people of one account. Blank: no cap.",
    )
    role_trait = forms.CharField(
        required=False,
        max_length=64,
        label="Role trait",
        help_text='The person trait naming a role, for coverage. Blank: "role", else "title".',
    )
    listening_cap = forms.IntegerField(
        label="Invite at most (new entrants)",
        help_text="Continuous studies: newcomers to a target segment invited per period.",
    )
    listening_period_days = forms.IntegerField(label="Per period of (days)")
    language = forms.CharField(max_length=16, help_text='A language tag, e.g. "en" or "pt-BR".')
    consent_text = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Consent text",
        help_text="Shown before the first question.",
    )
    incentive_text = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), label="Incentive"
    )
    moderator_tone = forms.ChoiceField(choices=ModeratorTone.choices, label="Moderator tone")
    probe_structured = forms.BooleanField(
        required=False,
        label="Follow up on scores and choices too",
        help_text="The moderator may ask what drove a score or a choice (up to each "
        "question's follow-ups). Open answers are followed up either way.",
    )
    invitation_expiry_days = forms.IntegerField(label="Invitations expire after (days)")
    channel = forms.ChoiceField(label="Sending channel")

    TEXT_FIELDS: Final = (
        "title",
        "objective",
        "language",
        "consent_text",
        "incentive_text",
        "role_trait",
    )

    def __init__(self, *args: Any, segments: Iterable[Segment], locked: bool, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["segments"].choices = [  # type: ignore[attr-defined]
            (s.pk, f"{s.name} ({s.size:,})") for s in segments
        ]
        self.fields["channel"].choices = [  # type: ignore[attr-defined]
            (name, CHANNEL_LABELS.get(name, name)) for name in channel_names()
        ]
        # Who is invited and how traits are named are fixed once launched.
        self.locked = locked
        for name in ("segments", "mode"):
            self.fields[name].disabled = locked

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for name in self.TEXT_FIELDS:
            if isinstance(cleaned.get(name), str):
                try:
                    _clean_text(cleaned[name])
                except forms.ValidationError as exc:
                    self.add_error(name, exc)
        return cleaned

    def changes(self) -> dict[str, Any]:
        """The cleaned values as `services.study_update` takes them."""
        data = dict(self.cleaned_data)
        if self.locked:
            data.pop("segments", None)
            data.pop("mode", None)
        else:
            data["segments"] = list(data.get("segments") or [])
        return data


def settings_initial(study: Study) -> dict[str, Any]:
    return {
        "title": study.title,
        "objective": study.objective,
        "segments": [t.segment_id for t in study.targets.all()],
        "mode": study.mode,
        "quota_per_segment": study.quota_per_segment,
        "recontact_days": study.recontact_days,
        "account_cap": study.account_cap,
        "role_trait": study.role_trait,
        "listening_cap": study.listening_cap,
        "listening_period_days": study.listening_period_days,
        "language": study.language,
        "consent_text": study.consent_text,
        "incentive_text": study.incentive_text,
        "moderator_tone": study.moderator_tone,
        "probe_structured": study.probe_structured,
        "invitation_expiry_days": study.invitation_expiry_days,
        "channel": study.channel,
    }


class NewStudyForm(forms.Form):
    """The first step: what the study is for and whom it asks; the builder does the rest.
    The title may stay blank when a template or a drafted guide supplies one."""

    title = forms.CharField(max_length=200, required=False)
    objective = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="The decision this study informs. “Draft from the objective” writes "
        "questions for it.",
    )
    segments = forms.TypedMultipleChoiceField(
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Target segments",
    )
    template = forms.ChoiceField(required=False, label="Start from", widget=forms.RadioSelect)

    def __init__(
        self,
        *args: Any,
        segments: Iterable[Segment],
        templates: Iterable[tuple[str, str]],
        **kwargs: Any,
    ):
        super().__init__(*args, **kwargs)
        self.fields["segments"].choices = [  # type: ignore[attr-defined]
            (s.pk, f"{s.name} ({s.size:,})") for s in segments
        ]
        self.fields["template"].choices = [  # type: ignore[attr-defined]
            ("", "A blank study"),
            *templates,
        ]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for name in ("title", "objective"):
            if isinstance(cleaned.get(name), str):
                try:
                    _clean_text(cleaned[name])
                except forms.ValidationError as exc:
                    self.add_error(name, exc)
        return cleaned
