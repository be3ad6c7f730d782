"""Prefect (and Dask) settings for a clean offline run, applied before either is imported (the user's own settings win)."""

from __future__ import annotations

import os

DEFAULTS = {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",  # no telemetry calls to the internet
    "DO_NOT_TRACK": "1",  # nor from the client, whose first run in a terminal would print a notice about it
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",  # the temporary server starts slowly on a busy 2-core machine
    "PREFECT_LOGGING_LEVEL": "WARNING",  # the CLI prints its own summary; Prefect speaks up on problems
    "PREFECT_RESULTS_PERSIST_BY_DEFAULT": "false",
    "DASK_LOGGING__DISTRIBUTED": "warning",  # a local cluster's scheduler and nannies log each start and stop at INFO
}


def apply() -> None:
    """Set each default unless the environment already sets it."""
    for key, value in DEFAULTS.items():
        os.environ.setdefault(key, value)
