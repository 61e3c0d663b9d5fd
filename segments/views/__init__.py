"""Web UI of the segments app: people and accounts, and the segments themselves."""

from segments.views.people import (
    account_detail,
    account_list,
    people_import,
    people_list,
    person_detail,
)
from segments.views.segments import (
    segment_active,
    segment_cluster_new,
    segment_compute_status,
    segment_compute_view,
    segment_detail,
    segment_edit,
    segment_external_new,
    segment_list,
    segment_new,
    segment_playbook,
    segment_preview,
    segment_rename,
    segment_rfm_new,
    segment_rfm_preview,
    segment_static_new,
)

__all__ = [
    "account_detail",
    "account_list",
    "people_import",
    "people_list",
    "person_detail",
    "segment_active",
    "segment_cluster_new",
    "segment_compute_status",
    "segment_compute_view",
    "segment_detail",
    "segment_edit",
    "segment_external_new",
    "segment_list",
    "segment_new",
    "segment_playbook",
    "segment_preview",
    "segment_rename",
    "segment_rfm_new",
    "segment_rfm_preview",
    "segment_static_new",
]
