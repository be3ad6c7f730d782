"""LAKE -> SEEN: what a run learns from the lake before it reads its inputs."""

from __future__ import annotations

from datetime import UTC, datetime

from transforms.dedupe import load_seen
from transforms.errors import Reason, Rejection
from transforms.load import DataDir, publish

AT = datetime(2026, 11, 24, tzinfo=UTC)


def refusal(url: str, reason: Reason, version: str | None) -> tuple[datetime, dict]:
    """A quarantine row of a fetched URL, as the pipeline version made it."""
    return AT, Rejection(stage="fetch", reason=reason, url=url, detail="refused", payload=b"body").to_row(
        "run-1", AT, pipeline_version=version)


def test_only_urls_the_current_pipeline_version_refused_for_good_are_not_fetched_again(tmp_path):
    data = DataDir(tmp_path)
    publish(data, "b1", {"quarantine": [refusal("https://a.example/doc.pdf", Reason.NOT_HTML, "v1"),
                                        refusal("https://a.example/fr", Reason.NOT_ENGLISH, "v2"),
                                        refusal("https://a.example/busy", Reason.FETCH_STATUS, "v1"),
                                        refusal("https://a.example/removed", Reason.GONE, "v1"),
                                        refusal("https://a.example/old", Reason.TOO_LARGE, None)]})
    assert load_seen(data, version="v1").refused == {"https://a.example/doc.pdf", "https://a.example/removed"}, "a 404 is not"
    assert load_seen(data, version="v2").refused == {"https://a.example/fr"}, "a new pipeline version tries the others again"
    assert len(load_seen(data, version="v1").quarantine_ids) == 5


def test_a_refusal_for_good_is_stored_again_by_a_new_pipeline_version_and_a_passing_failure_is_not():
    def row(reason: Reason, version: str) -> str:
        return Rejection(stage="fetch", reason=reason, url="https://a.example/x", detail="d").to_row(
            "run-1", AT, pipeline_version=version)["quarantine_id"]

    assert row(Reason.NOT_ENGLISH, "v1") != row(Reason.NOT_ENGLISH, "v2")
    assert row(Reason.FETCH_TIMEOUT, "v1") == row(Reason.FETCH_TIMEOUT, "v2")
