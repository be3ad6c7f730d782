"""Fixtures shared by the test modules."""

from __future__ import annotations

from pathlib import Path

import pytest

import flows  # noqa: F401  (applies newsevents' Prefect settings before Prefect is imported)

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"


@pytest.fixture(scope="session")
def nlp():
    """The project's spaCy pipeline, loaded once."""
    from transforms.nlp import load_nlp

    return load_nlp()


@pytest.fixture(scope="session")
def shared() -> Path:
    """../shared beside the checkout (gold sets, the seed article); the test is skipped without it."""
    if not SHARED.is_dir():
        pytest.skip("../shared is not beside this checkout")
    return SHARED


@pytest.fixture(scope="session")
def prefect_harness():
    """One temporary Prefect API for every flow test of the session."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=180):
        yield
