"""What a worker process is and has loaded, for tests that hand it work (imports nothing of the project itself)."""

from __future__ import annotations

import os
import sys


def process_facts() -> dict:
    """This process's id, whether it imported Prefect, and how many spaCy models it has built."""
    nlp = sys.modules.get("transforms.nlp")
    return {"pid": os.getpid(), "prefect": "prefect" in sys.modules,
            "models": nlp._build.cache_info().currsize if nlp else 0}
