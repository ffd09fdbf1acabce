"""What the live adapters (aws.py, gcp.py, azure.py) share.

- ``canonical_accelerator``: one GPU name per chip across clouds, the names the bundled
  catalog uses (T4, L4, A10G, L40S, V100, A100 = 40 GB, A100-80GB, H100, H200).
- ``make_row``: the one place a priced offering becomes a ``CatalogRow``; it enforces
  the catalog's invariants (price > 0, a spot price of 0 is "unknown", accelerator
  present exactly when its count is > 0) and copies the region's location,
  jurisdiction and egress, so no adapter guesses them.
- ``resolve_regions``: which regions to read; regions without coordinates are skipped
  with a warning, never guessed.
- ``require``: lazy SDK import with an install hint.
- ``sdk_failure``: an SDK exception turned into a ``RefreshError`` whose text is the
  operation, the exception class and the SDK's first message line, nothing else: no
  request, headers or credential object is ever formatted into it.

Clocks: every adapter takes ``clock`` (a callable returning an aware UTC ``datetime``);
``as_of`` and time-dependent calls (AWS spot history) read it, nothing reads wall time
deep inside.
"""

from __future__ import annotations

import importlib
import logging
import math
import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from types import ModuleType

from ..errors import TierplanError
from .base import CatalogRow, Region

__all__ = [
    "GPU_MEMORY_GIB",
    "Clock",
    "RefreshError",
    "canonical_accelerator",
    "make_row",
    "price_number",
    "provider_regions",
    "redact",
    "require",
    "resolve_regions",
    "sdk_failure",
    "utc_now",
]

log = logging.getLogger("tierplan.providers")

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """The default clock (the only place the adapters read wall time)."""
    return datetime.now(UTC)


class RefreshError(TierplanError):
    """A live catalog refresh failed (missing SDK, API error, nothing priced)."""


def require(module: str, extra: str) -> ModuleType:
    """Import ``module`` or fail with the pip command that installs it."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise RefreshError(
            f"{module} is not installed; install it with: pip install 'tierplan[{extra}]'"
        ) from None


# Environment variables of the SDKs' standard credential chains that hold secrets.
SECRET_VARIABLES = (
    "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN",
    "AZURE_CLIENT_SECRET", "AZURE_CLIENT_CERTIFICATE_PASSWORD", "AZURE_PASSWORD",
    "GOOGLE_API_KEY", "GOOGLE_OAUTH_ACCESS_TOKEN",
)
_TOKEN_PATTERNS = (
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]{8,}"),
    re.compile(r"(?i)((?:signature|x-amz-security-token|client_secret|access_token|sig)[=:]\s*)[^\s&,;\"']+"),
)


def redact(text: str) -> str:
    """``text`` with credential values from the environment and bearer tokens/signatures masked."""
    for name in SECRET_VARIABLES:
        value = os.environ.get(name)
        if value and len(value) >= 4:
            text = text.replace(value, "***")
    for pattern in _TOKEN_PATTERNS:
        text = pattern.sub(lambda m: m.group(1) + "***", text)
    return text


def sdk_failure(provider: str, action: str, exc: BaseException) -> RefreshError:
    """A RefreshError for a failed SDK call that does not carry a credential.

    Only the exception class and the first line of its message (capped at 300
    characters) are kept, after ``redact``: SDK messages carry the service's error
    text, and should one ever echo a secret from the environment, it is masked.
    """
    first = redact(str(exc).strip().splitlines()[0]) if str(exc).strip() else ""
    detail = f"{type(exc).__name__}: {first[:300]}" if first else type(exc).__name__
    status = getattr(exc, "status_code", None)  # azure-core errors carry the HTTP status here
    if isinstance(status, int):
        detail = f"HTTP {status}, {detail}"
    return RefreshError(f"{provider}: {action} failed ({detail})")


# --- accelerator names ------------------------------------------------------------------

GPU_MEMORY_GIB: dict[str, float] = {
    "T4": 16, "T4g": 16, "L4": 24, "A10G": 24, "A10": 24, "L40S": 48, "V100": 16, "V100-32GB": 32,
    "A100": 40, "A100-80GB": 80, "H100": 80, "H200": 141, "B200": 180, "B300": 288, "GB200": 186,
    "GH200": 96, "MI300X": 192, "A6000": 48, "RTX6000": 24,
}
"""Per-GPU memory by canonical name, for providers whose API does not report it (GCP, Azure)."""

# Checked in order; the first pattern found in the normalised name wins, so the more
# specific names (GH200, A100 80GB, V100 32GB, L40S, A10G, T4g) come before their prefixes,
# and a model is only matched as a whole word part ("H200" is not found in "GH200").
_GPU_PATTERNS: tuple[tuple[str, str], ...] = (
    (r"(?<![A-Z])GH200", "GH200"),
    (r"(?<![A-Z])GB200", "GB200"),
    (r"(?<![A-Z])H200", "H200"),
    (r"(?<![A-Z])H100", "H100"),
    (r"(?<![A-Z])B300", "B300"),
    (r"(?<![A-Z])B200", "B200"),
    (r"(?<![A-Z])MI300X", "MI300X"),
    (r"(?<![A-Z])A100.?80", "A100-80GB"),
    (r"(?<![A-Z])A100", "A100"),
    (r"(?<![A-Z])L40S", "L40S"),
    (r"(?<![A-Z])L40(?!\d)", "L40"),
    (r"(?<![A-Z])A10G", "A10G"),
    (r"(?<![A-Z])A10(?!\d)", "A10"),
    (r"(?<![A-Z])L4(?!\d)", "L4"),
    (r"(?<![A-Z])T4G", "T4g"),  # AWS Graviton g5g; the catalog and the SkyPilot import spell it T4g
    (r"(?<![A-Z])T4(?![0-9G])", "T4"),
    (r"(?<![A-Z])V100.?32", "V100-32GB"),
    (r"(?<![A-Z])V100", "V100"),
    (r"(?<![A-Z])A6000", "A6000"),  # RTX A6000
    (r"(?<![A-Z])RTX ?6000(?! ?ADA)", "RTX6000"),  # Quadro RTX 6000; the RTX 6000 Ada is another chip
)


def canonical_accelerator(name: str, memory_gib: float | None = None) -> str:
    """The catalog's name for a provider's GPU name.

    Accepts AWS ``GpuInfo`` names ("A100", "A10G"), GCP accelerator types and SKU text
    ("nvidia-tesla-a100", "nvidia-a100-80gb", "Nvidia H100 80GB Mega GPU"), Vertex enums
    ("NVIDIA_A100_80GB") and Azure size or family names ("NC24ads_A100_v4"). An A100
    with 70 GiB or more per GPU is an A100-80GB whatever the name says (AWS calls both
    "A100" and tells them apart by memory). Unknown names come back unchanged, so a new
    chip shows up under the provider's own name instead of being dropped or mislabelled.
    """
    norm = re.sub(r"[^A-Z0-9]+", " ", name.upper())
    norm = re.sub(r"\b(NVIDIA|TESLA)\b", " ", norm)
    compact = " ".join(norm.split())
    for pattern, canonical in _GPU_PATTERNS:
        if re.search(pattern, compact):
            if canonical == "A100" and memory_gib is not None and memory_gib >= 70:
                return "A100-80GB"
            if canonical == "V100" and memory_gib is not None and memory_gib >= 30:
                return "V100-32GB"
            return canonical
    return name.strip()


# --- regions ----------------------------------------------------------------------------

def provider_regions(provider: str, table: Mapping[str, Region] | None = None) -> dict[str, Region]:
    """Regions of ``provider`` by name: ``table`` when given, else the bundled regions."""
    if table is not None:
        return dict(table)
    from .catalog import load_regions  # the bundled region table; csv only, cheap

    return {r.region: r for (p, _), r in load_regions().items() if p == provider}


class RegionTable:
    """What every cloud adapter answers from the bundled region table alone."""

    name: str
    _regions: dict[str, Region]

    def regions(self) -> Sequence[Region]:
        return [self._regions[name] for name in sorted(self._regions)]

    def egress_usd_per_gb(self, region: str) -> float:
        return self._regions[region].egress_usd_per_gb


def resolve_regions(provider: str, known: Mapping[str, Region], wanted: Iterable[str] | None) -> list[Region]:
    """The regions to read, in the order asked; unknown ones are skipped with a warning.

    A region without coordinates cannot be placed on the latency map, so it is left
    out rather than guessed.
    """
    if wanted is None:
        return [known[name] for name in sorted(known)]
    out: list[Region] = []
    for name in dict.fromkeys(wanted):
        if name in known:
            out.append(known[name])
        else:
            log.warning("%s: region %s has no coordinates in the region table; skipped", provider, name)
    return out


# --- rows -------------------------------------------------------------------------------

def price_number(value: object) -> float | None:
    """A price from an API cell (str, int, float); None when missing, non-finite or <= 0."""
    try:
        price = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return price if math.isfinite(price) and price > 0 else None


def make_row(
    region: Region,
    instance_type: str,
    *,
    vcpus: float,
    memory_gib: float,
    accelerator: str | None,
    accelerator_count: float,
    accelerator_memory_gib: float | None,
    usd_per_hour: float,
    spot_usd_per_hour: float | None,
    available: int | None,
    source: str,
    as_of: str,
) -> CatalogRow:
    """One catalog row; prices rounded to 1e-6 USD (sums of per-unit SKUs carry float noise)."""
    if not (math.isfinite(usd_per_hour) and usd_per_hour > 0):
        raise ValueError(f"{instance_type}: on-demand price must be > 0, got {usd_per_hour}")
    spot = round(spot_usd_per_hour, 6) if spot_usd_per_hour and spot_usd_per_hour > 0 else None
    if accelerator_count <= 0 or not accelerator:
        accelerator, accelerator_count, accelerator_memory_gib = None, 0, None
    return CatalogRow(
        provider=region.provider,
        region=region.region,
        instance_type=instance_type,
        vcpus=float(vcpus),
        memory_gib=round(float(memory_gib), 3),
        accelerator=accelerator,
        accelerator_count=(int(accelerator_count) if float(accelerator_count).is_integer()
                           else accelerator_count),
        accelerator_memory_gib=None if accelerator_memory_gib is None else round(accelerator_memory_gib, 3),
        usd_per_hour=round(usd_per_hour, 6),
        spot_usd_per_hour=spot or None,
        available=None if available is None else max(0, int(available)),
        lat=region.lat,
        lon=region.lon,
        jurisdiction=region.jurisdiction,
        egress_usd_per_gb=region.egress_usd_per_gb,
        source=source,
        as_of=as_of,
    )
