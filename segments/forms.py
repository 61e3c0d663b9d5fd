"""Web forms of the segment builder and wizards."""

from __future__ import annotations

import json
import re
from typing import Any

from django import forms

from segments import rfm
from segments.models import SegmentKind
from segments.services import validate_segment_definition
from workspaces.models import Workspace
from workspaces.services import ServiceError
from workspaces.untrusted import loads_json

# Why a playbook matters is said once, on the segment list (the no_playbook warning);
# each form only says what to write.
PLAYBOOK_HELP = "What the team does for these people, e.g. “Offer a call with sales”."
MAX_STATIC_BYTES = 5 * 1024 * 1024


def _name_field() -> forms.CharField:
    return forms.CharField(
        label="Name",
        max_length=200,
        error_messages={"required": "Give the segment a name the team will recognise."},
    )


def _playbook_field() -> forms.CharField:
    return forms.CharField(
        label="Playbook",
        help_text=PLAYBOOK_HELP,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class SegmentForm(forms.Form):
    """Name and playbook, shared by every kind; subclasses add the definition."""

    kind = SegmentKind.RULE

    name = _name_field()
    playbook = _playbook_field()

    def __init__(
        self, *args: Any, workspace: Workspace, segment_id: int | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.workspace = workspace
        self.segment_id = segment_id

    def definition(self) -> dict[str, Any]:
        raise NotImplementedError

    def clean(self) -> dict[str, Any] | None:
        cleaned = super().clean()
        if not self.errors:
            try:
                self.cleaned_data["definition"] = validate_segment_definition(
                    workspace=self.workspace,
                    kind=self.kind,
                    definition=self.definition(),
                    segment_id=self.segment_id,
                )
            except ServiceError as exc:
                self.add_error(self.definition_field, exc.message)
        return cleaned

    definition_field: str | None = None


class RuleSegmentForm(SegmentForm):
    definition_json = forms.CharField(
        label="Definition (JSON)",
        widget=forms.Textarea(attrs={"rows": 14, "spellcheck": "false", "class": "mono"}),
        error_messages={"required": "Add at least one condition."},
    )
    definition_field = "definition_json"

    def clean_definition_json(self) -> Any:
        text = self.cleaned_data["definition_json"]
        try:
            value = loads_json(text)
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(
                f"The JSON is not valid (line {exc.lineno}, column {exc.colno}): {exc.msg}."
            ) from exc
        except ValueError as exc:
            raise forms.ValidationError(f"The JSON is {exc}.") from exc
        return value

    def definition(self) -> dict[str, Any]:
        return self.cleaned_data["definition_json"]  # type: ignore[no-any-return]


class RfmSegmentForm(SegmentForm):
    kind = SegmentKind.RFM
    event = forms.CharField(
        label="Purchase event",
        max_length=200,
        widget=forms.TextInput(attrs={"list": "event-names", "autocomplete": "off"}),
        help_text="The event that records a purchase, e.g. Order Completed.",
        error_messages={"required": "Name the event that records a purchase."},
    )
    monetary_property = forms.CharField(
        label="Monetary property",
        max_length=200,
        initial="amount",
        help_text="The numeric event property summed for M.",
    )
    window_days = forms.IntegerField(
        label="Window (days)", min_value=1, max_value=36_500, initial=365
    )
    bins = forms.IntegerField(
        label="Score bins", min_value=2, max_value=10, initial=5, help_text="Scores run 1 to this."
    )
    include = forms.MultipleChoiceField(
        label="Tiers in this segment",
        choices=[(tier, tier) for tier in rfm.TIERS],
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked means every purchaser.",
    )
    definition_field = "event"

    def definition(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "event": data["event"].strip(),
            "monetary_property": data["monetary_property"].strip(),
            "window_days": data["window_days"],
            "bins": data["bins"],
            "include": list(data["include"]),
        }


class RfmPreviewForm(RfmSegmentForm):
    """The wizard's preview reads the same fields; the name can come later."""

    name = forms.CharField(required=False)


FEATURE_AGGREGATES = [
    ("count", "Count of events"),
    ("distinct_days", "Distinct days"),
    ("sum", "Sum of a property"),
    ("avg", "Average of a property"),
    ("min", "Minimum of a property"),
    ("max", "Maximum of a property"),
    ("days_since_last", "Days since last"),
    ("days_since_first", "Days since first"),
]


class FeatureForm(forms.Form):
    event = forms.CharField(
        label="Event",
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"list": "event-names", "autocomplete": "off"}),
    )
    agg = forms.ChoiceField(label="Measure", choices=FEATURE_AGGREGATES, initial="count")
    property = forms.CharField(
        label="Property",
        max_length=200,
        required=False,
        help_text="For sum, average, minimum, maximum.",
        widget=forms.TextInput(attrs={"list": "property-keys", "autocomplete": "off"}),
    )
    within_days = forms.IntegerField(
        label="In the last (days)", min_value=1, max_value=36_500, required=False, initial=30
    )

    def feature(self) -> dict[str, Any] | None:
        data = getattr(self, "cleaned_data", {})
        if not data.get("event", "").strip():
            return None
        node: dict[str, Any] = {"event": data["event"].strip()}
        if data["agg"] != "count":
            node["agg"] = data["agg"]
        if data.get("property", "").strip() and data["agg"] in {"sum", "avg", "min", "max"}:
            node["property"] = data["property"].strip()
        if data.get("within_days"):
            node["within_days"] = data["within_days"]
        return node


FeatureFormSet = forms.formset_factory(FeatureForm, extra=0, min_num=4, max_num=12)


class ClusterSegmentForm(SegmentForm):
    kind = SegmentKind.CLUSTER
    k = forms.ChoiceField(
        label="Number of clusters",
        choices=[("auto", "Choose for me (2 to 8, whichever separates best)")]
        + [(str(n), str(n)) for n in range(2, 13)],
        initial="auto",
    )
    seed = forms.IntegerField(
        label="Seed",
        min_value=0,
        initial=0,
        help_text="The same seed and data give the same clusters.",
    )
    definition_field = "k"

    def __init__(self, *args: Any, features: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.features = features

    def definition(self) -> dict[str, Any]:
        nodes = []
        if self.features is not None and self.features.is_valid():
            nodes = [n for f in self.features.forms if (n := f.feature()) is not None]
        k = self.cleaned_data["k"]
        return {
            "features": nodes,
            "k": k if k == "auto" else int(k),
            "seed": self.cleaned_data["seed"],
        }


class StaticSegmentForm(SegmentForm):
    kind = SegmentKind.STATIC
    user_ids = forms.CharField(
        label="User ids",
        required=False,
        widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false", "class": "mono"}),
        help_text="One per line, or separated by commas.",
    )
    file = forms.FileField(
        label="Or upload a file",
        required=False,
        help_text=(
            "A text or CSV file: the first column holds the user ids; a user_id header is skipped."
        ),
    )
    definition_field = "user_ids"

    def _ids(self) -> list[str]:
        text = self.cleaned_data.get("user_ids") or ""
        upload = self.cleaned_data.get("file")
        ids: list[str] = []
        if upload is not None:
            if upload.size > MAX_STATIC_BYTES:
                raise ServiceError("The file is over 5 MB; push large lists through the API.")
            content = upload.read().decode("utf-8-sig", errors="replace")
            for line in content.splitlines():
                first = line.split(",")[0].strip().strip('"')
                if first and first.lower() not in {"user_id", "userid", "id"}:
                    ids.append(first)
        ids += [part.strip() for part in re.split(r"[\n,]", text) if part.strip()]
        return list(dict.fromkeys(ids))

    def definition(self) -> dict[str, Any]:
        return {"user_ids": self.user_id_list}

    def clean(self) -> dict[str, Any] | None:
        # The upload is read once: a file object does not rewind.
        self.user_id_list: list[str] = []
        if not self.errors:
            try:
                self.user_id_list = self._ids()
            except ServiceError as exc:
                self.add_error("file", exc.message)
                return self.cleaned_data
            if not self.user_id_list:
                self.add_error("user_ids", "Paste at least one user id, or upload a file of them.")
                return self.cleaned_data
        return super().clean()


class ExternalSegmentForm(SegmentForm):
    kind = SegmentKind.EXTERNAL
    source = forms.CharField(
        label="Source",
        max_length=100,
        required=False,
        help_text="Where membership comes from, e.g. HubSpot or Braze.",
    )
    definition_field = "source"

    def definition(self) -> dict[str, Any]:
        source = self.cleaned_data.get("source", "").strip()
        return {"source": source} if source else {}


class PlaybookForm(forms.Form):
    playbook = _playbook_field()


class RenameForm(forms.Form):
    name = _name_field()
