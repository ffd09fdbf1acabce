"""Re-verify the bundled snapshot's on-demand prices against independent public price lists.

    python tools/check_catalog_prices.py [--catalog PATH] [--tolerance 0.05] [--json OUT]
                                         [--count-known-wrong]

The references are in tools/catalog_data/check/*.csv (``provider,region,instance_type,
usd_per_hour,as_of,reference``; ``as_of`` empty when the list is undated), each row copied
from a public list other than the one the snapshot row was built from (see
tools/catalog_data/README.md). For every reference row with a
matching snapshot row (same provider, region and instance type) the script says whether the
snapshot's on-demand price is within the tolerance of the reference, prints the fraction per
cloud and overall, and lists the rows outside it. Exit 1 when the overall fraction is below
``--min`` (0.97 by default), so it can gate a rebuild.

A reference known to be wrong does not count (``KNOWN_WRONG``): its rows are compared, reported
as excluded with the reason, and left out of the fractions. Today that is SkyPilot's GCP
catalog for accelerator machine types, which prices the GPUs of many regions at the DWS /
flex-start rate instead of the on-demand one (issue 24).
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))

from tierplan.providers.base import CatalogRow  # noqa: E402
from tierplan.providers.catalog import bundled_catalog, read_catalog  # noqa: E402

CHECK = HERE / "catalog_data" / "check"


@dataclass(frozen=True)
class KnownWrong:
    """Reference rows from ``reference_prefix`` for ``provider``'s accelerator rows, and why."""

    provider: str
    reference_prefix: str
    reason: str

    def covers(self, reference: Mapping[str, str], row: CatalogRow) -> bool:
        return (reference["provider"] == self.provider and row.accelerator is not None
                and reference["reference"].startswith(self.reference_prefix))


# SkyPilot's GCP catalog takes the "GPU attached to DWS Defined Duration VMs" SKU (about half the
# on-demand rate) for a2/a3 GPUs in many regions; which SKU a row used cannot be told from the
# file, so none of its GCP accelerator rows count. Its AWS rows match the AWS Price List.
KNOWN_WRONG: tuple[KnownWrong, ...] = (
    KnownWrong("gcp", "skypilot-catalog", "SkyPilot's GCP GPU prices mix in the DWS / flex-start rate"),
)


@dataclass(frozen=True)
class Comparison:
    provider: str
    region: str
    instance_type: str
    snapshot: float
    reference: float
    source: str
    excluded: str | None = None  # why this reference does not count (a KnownWrong reason)

    @property
    def deviation(self) -> float:
        return self.snapshot / self.reference - 1.0


def read_references(files: Iterable[Path]) -> list[dict[str, str]]:
    out: list[dict[str, str]] = []
    for file in sorted(files):
        with file.open(encoding="utf-8", newline="") as handle:
            out.extend(csv.DictReader(handle))
    return out


def compare(rows: Iterable[CatalogRow], references: Iterable[Mapping[str, str]],
            known_wrong: Iterable[KnownWrong] = KNOWN_WRONG) -> list[Comparison]:
    """One comparison per reference row that the snapshot also prices; those a known-wrong
    reference makes carry its reason in ``excluded``."""
    wrong = tuple(known_wrong)
    by_type: dict[tuple[str, str], list[CatalogRow]] = {}
    for r in rows:
        by_type.setdefault((r.provider, r.instance_type), []).append(r)
    out = []
    for ref in references:
        # region "*": a price list that does not vary by region (Lambda) checks every region
        for row in by_type.get((ref["provider"], ref["instance_type"]), []):
            if ref["region"] in ("*", row.region):
                why = next((w.reason for w in wrong if w.covers(ref, row)), None)
                out.append(Comparison(row.provider, row.region, row.instance_type, row.usd_per_hour,
                                      float(ref["usd_per_hour"]), ref["reference"], why))
    return out


def summary(comparisons: list[Comparison], tolerance: float) -> dict[str, object]:
    excluded: dict[str, int] = {}
    for c in comparisons:
        if c.excluded is not None:
            excluded[c.excluded] = excluded.get(c.excluded, 0) + 1
    comparisons = [c for c in comparisons if c.excluded is None]
    by_cloud: dict[str, list[int]] = {}
    for c in comparisons:
        counts = by_cloud.setdefault(c.provider, [0, 0])
        counts[0] += abs(c.deviation) <= tolerance
        counts[1] += 1
    within = sum(v[0] for v in by_cloud.values())
    total = sum(v[1] for v in by_cloud.values())
    outside = sorted((c for c in comparisons if abs(c.deviation) > tolerance),
                     key=lambda c: (-abs(c.deviation), c.provider, c.region, c.instance_type))
    return {
        "tolerance": tolerance, "compared": total, "within": within, "excluded": excluded,
        "fraction": within / total if total else 0.0,
        "per_cloud": {k: {"compared": v[1], "within": v[0], "fraction": v[0] / v[1]}
                      for k, v in sorted(by_cloud.items())},
        "outside": [{"provider": c.provider, "region": c.region, "instance_type": c.instance_type,
                     "snapshot": c.snapshot, "reference": c.reference,
                     "deviation_percent": round(100 * c.deviation, 2), "reference_source": c.source}
                    for c in outside],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--catalog", help="catalog CSV to check (default: the bundled snapshot)")
    parser.add_argument("--references", type=Path, default=CHECK, help="folder of reference CSVs")
    parser.add_argument("--tolerance", type=float, default=0.05)
    parser.add_argument("--min", type=float, default=0.97, dest="minimum")
    parser.add_argument("--json", type=Path, help="also write the summary as JSON here")
    parser.add_argument("--count-known-wrong", action="store_true",
                        help="let the references known to be wrong (KNOWN_WRONG) count too")
    args = parser.parse_args(argv)
    rows = read_catalog(args.catalog) if args.catalog else bundled_catalog()
    references = read_references(args.references.glob("*.csv"))
    known_wrong = () if args.count_known_wrong else KNOWN_WRONG
    result = summary(compare(rows, references, known_wrong), args.tolerance)
    for cloud, figures in result["per_cloud"].items():  # type: ignore[attr-defined]
        print(f"{cloud:6} {figures['within']:4d} / {figures['compared']:4d} within "
              f"{100 * args.tolerance:.0f} % ({100 * figures['fraction']:.1f} %)")
    print(f"all    {result['within']:4d} / {result['compared']:4d} within {100 * args.tolerance:.0f} % "
          f"({100 * float(result['fraction']):.1f} %)")  # type: ignore[arg-type]
    for reason, count in result["excluded"].items():  # type: ignore[attr-defined]
        print(f"  excluded: {count} comparisons with a reference known to be wrong ({reason})")
    for row in result["outside"]:  # type: ignore[attr-defined]
        print(f"  outside: {row['provider']} {row['region']} {row['instance_type']}: snapshot "
              f"{row['snapshot']} vs {row['reference']} ({row['deviation_percent']:+.1f} %, "
              f"{row['reference_source']})")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0 if float(result["fraction"]) >= args.minimum else 1  # type: ignore[arg-type]


if __name__ == "__main__":
    raise SystemExit(main())
