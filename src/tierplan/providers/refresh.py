"""``tierplan catalog refresh``: read live prices through one provider adapter and write a catalog.

    run_refresh("aws", None, ["us-east-1"])  ->  ~/.tierplan/catalog-aws.csv

The adapter (aws.py, gcp.py, azure.py) does the reading; this module only picks it,
checks the regions, and writes the rows with ``catalog.write_catalog`` (atomic: a
temporary file then a rename), so an interrupted or failed refresh never leaves half
a catalog, and a refresh that priced nothing writes nothing. The file is the bundled
catalog's format and works as ``catalog: {source: file, path: ...}`` in a scenario or
``tierplan catalog offerings --catalog PATH``.

Default output: ``~/.tierplan/catalog-<provider>.csv`` (one file per provider, so the
three refreshes do not overwrite each other).

Credentials: each adapter builds its SDK client from that SDK's standard chain (boto3
session, google-auth ADC, azure-identity DefaultAzureCredential); nothing here reads,
stores or prints them.
"""

from __future__ import annotations

import difflib
import itertools
import logging
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from ..errors import InputError
from .aws import AwsAdapter
from .azure import AzureAdapter, ml_client_from_env
from .base import CatalogRow, ProviderAdapter
from .catalog import write_catalog
from .common import Clock, RefreshError, utc_now
from .gcp import GcpAdapter

__all__ = ["PROVIDERS", "default_adapter", "default_output", "run_refresh"]

log = logging.getLogger("tierplan.providers.refresh")

PROVIDERS = ("aws", "gcp", "azure")


def default_output(provider: str) -> Path:
    """Where a refresh writes when no ``-o`` is given: ``~/.tierplan/catalog-<provider>.csv``."""
    return Path.home() / ".tierplan" / f"catalog-{provider}.csv"


def default_adapter(provider: str, clock: Clock = utc_now) -> ProviderAdapter:
    """The provider's adapter with SDK clients from the standard credential chains."""
    if provider == "aws":
        return AwsAdapter(clock=clock)
    if provider == "gcp":
        return GcpAdapter(clock=clock)
    if provider == "azure":
        return AzureAdapter(ml_client=ml_client_from_env(), clock=clock)
    raise InputError(f"--provider: unknown provider {provider!r}; expected one of {', '.join(PROVIDERS)}")


def run_refresh(
    provider: str,
    output: str | None,
    regions: Sequence[str] | None,
    *,
    adapter: ProviderAdapter | None = None,
    clock: Clock = utc_now,
    timer: Callable[[], float] = time.perf_counter,
) -> Path:
    """Refresh ``provider``'s prices in ``regions`` (None or empty: every known region).

    Regions without coordinates in the region table are skipped with a warning; when
    none is left the call fails with InputError (exit 2). Returns the path written.
    Raises RefreshError (exit 1) when the SDK is missing, an API call fails or no
    offering could be priced; the output file is then left as it was.
    """
    if provider not in PROVIDERS:
        raise InputError(f"--provider: unknown provider {provider!r}; expected one of {', '.join(PROVIDERS)}")
    adapter = adapter if adapter is not None else default_adapter(provider, clock)
    known = {r.region for r in adapter.regions()}
    wanted = list(dict.fromkeys(regions)) if regions else None
    if wanted is not None and not any(name in known for name in wanted):
        close = difflib.get_close_matches(wanted[0], sorted(known), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else f"; known: {', '.join(sorted(known))}"
        raise InputError(f"--region: no known {provider} region in {', '.join(wanted)}{hint}")
    started = timer()
    rows = _checked(adapter.offerings(wanted))
    if not rows:
        where = ", ".join(wanted) if wanted else f"all {len(known)} {provider} regions"
        raise RefreshError(f"{provider}: no offering could be priced in {where}; nothing written")
    path = Path(output).expanduser() if output else default_output(provider)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_catalog(path, rows)
    log.info("%s: %d offerings in %d regions in %.1f s -> %s", provider, len(rows),
             len({r.region for r in rows}), timer() - started, path)
    return path


def _checked(rows: Sequence[CatalogRow]) -> list[CatalogRow]:
    """Rows sorted by (region, instance type); a duplicate is an adapter bug, reported as such."""
    ordered = sorted(rows, key=lambda r: (r.provider, r.region, r.instance_type))
    for before, after in itertools.pairwise(ordered):
        if (before.provider, before.region, before.instance_type) == (
            after.provider, after.region, after.instance_type
        ):
            raise RefreshError(f"duplicate offering {after.provider}/{after.region}/{after.instance_type}")
    return ordered
