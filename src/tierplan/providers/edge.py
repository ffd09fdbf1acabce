"""Rules for edge inventory: small devices in stores, factories and cell sites.

An edge site is a scenario site with ``tier: edge``. Its offerings are the devices it
physically has (Jetson AGX Orin, a small L4 box, a CPU gateway), priced with
``usd_per_hour`` or, like on-prem hardware, with an ``amortized:`` block (purchase,
lifetime, power draw, electricity price; see ``providers/onprem.py``). Its uplink is the
site's ``bandwidth_gbps`` (used for moving datasets) and its ``egress_usd_per_gb`` prices
the responses it sends.

What is checked (each a ScenarioError naming the field):

- no spot market at the edge: an edge offering must not give ``spot_usd_per_hour``
  (nobody sells spare Jetson time in a shop); training with ``spot: true`` simply finds
  no spot option there;

``available`` may be omitted as everywhere (SPEC section 1), but an edge site should give
it: a store has a fixed number of boxes.
"""

from __future__ import annotations

from typing import Protocol

__all__ = ["EDGE_SPOT_MESSAGE", "edge_spot_error"]

EDGE_SPOT_MESSAGE = ("edge sites have no spot market; remove spot_usd_per_hour "
                     "(price the device with usd_per_hour or an amortized block)")


class _OfferingLike(Protocol):
    @property
    def spot_usd_per_hour(self) -> float | None: ...


def edge_spot_error(offering: _OfferingLike) -> str | None:
    """The message for a spot price on an edge offering, or None when it has none."""
    return EDGE_SPOT_MESSAGE if offering.spot_usd_per_hour is not None else None
