"""Offline IP → country data (iptocc): which data a report is based on."""

from __future__ import annotations

import json
from functools import cache
from importlib import metadata


@cache
def geo_data_info() -> dict[str, str | None]:
    """Package version and build date of the embedded RIR data (from the wheel's SBOM).

    iptocc rebuilds its data nightly from the five RIRs' delegated files, so the build date is
    the data's date; reports print it because registrations change.
    """
    try:
        dist = metadata.distribution("iptocc")
    except metadata.PackageNotFoundError:
        return {"source": "iptocc", "version": None, "data_date": None}
    built = None
    for f in dist.files or []:
        if f.name.endswith(".cyclonedx.json"):
            try:
                doc = json.loads(f.read_text() or "{}")
                built = (doc.get("metadata", {}).get("timestamp") or "")[:10] or None
            except (OSError, ValueError):
                built = None
            break
    return {"source": "iptocc (RIR delegated files)", "version": dist.version, "data_date": built}
