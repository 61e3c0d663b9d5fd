from __future__ import annotations

import pytest

from reports.models import Report
from tests.factories import ready_report


@pytest.fixture
def report(workspace) -> Report:
    return ready_report(workspace)
