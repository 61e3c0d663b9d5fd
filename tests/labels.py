"""Form controls on a page: each with a unique id and a label of its own."""

from __future__ import annotations

from collections import Counter
from html.parser import HTMLParser

CONTROLS = {"input", "select", "textarea"}
UNLABELLED_TYPES = {"hidden", "submit", "button", "reset", "image"}


class _Controls(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.controls: list[dict[str, str | None]] = []
        self.label_for: list[str] = []
        self._open_labels = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if attributes.get("id"):
            self.ids.append(str(attributes["id"]))
        if tag == "label":
            self._open_labels += 1
            if attributes.get("for"):
                self.label_for.append(str(attributes["for"]))
        if tag in CONTROLS and attributes.get("type") not in UNLABELLED_TYPES:
            self.controls.append({**attributes, "_wrapped": "1" if self._open_labels else None})

    def handle_endtag(self, tag: str) -> None:
        if tag == "label" and self._open_labels:
            self._open_labels -= 1


def label_problems(html: str) -> list[str]:
    """Duplicate ids, controls without an id, and controls no label names."""
    parser = _Controls()
    parser.feed(html)
    problems = [f"duplicate id {i!r}" for i, n in Counter(parser.ids).items() if n > 1]
    labelled = Counter(parser.label_for)
    for control in parser.controls:
        name = control.get("name")
        control_id = control.get("id")
        if not control_id:
            problems.append(f"control {name!r} has no id")
        elif not (
            labelled[control_id] == 1 or control.get("_wrapped") or control.get("aria-label")
        ):
            problems.append(f"control {name!r} (#{control_id}) has {labelled[control_id]} labels")
    return problems


def control_count(html: str) -> int:
    parser = _Controls()
    parser.feed(html)
    return len(parser.controls)
