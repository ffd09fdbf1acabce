"""On-prem (and edge) hardware priced per hour by amortisation, so owned hardware is never free.

A scenario offering may give ``amortized:`` instead of ``usd_per_hour`` (tiers onprem and
edge only)::

    offerings:
      - name: dgx-a100
        accelerator: A100
        accelerator_count: 8
        available: 2
        amortized:
          purchase_usd: 200000          # price of one server, including install
          lifetime_years: 4             # depreciation period
          power_kw: 6.5                 # average electrical draw of one server
          electricity_usd_per_kwh: 0.25
          pue: 1.4                      # facility overhead (cooling, power losses); >= 1
          ops_usd_per_year: 12000       # support, staff share, rack space per server

Formula (USD per instance-hour, 8,760 hours a year, every hour of the lifetime counted
whether the server is busy or not, as a depreciation schedule does):

    usd_per_hour = purchase_usd / (lifetime_years * 8760)
                 + power_kw * pue * electricity_usd_per_kwh
                 + ops_usd_per_year / 8760

For the example: 200000 / 35040 + 6.5 * 1.4 * 0.25 + 12000 / 8760
= 5.7078 + 2.2750 + 1.3699 = 9.3527 $/h.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["HOURS_PER_YEAR", "Amortization"]

HOURS_PER_YEAR = 8760.0


@dataclass(frozen=True)
class Amortization:
    """The cost inputs of one owned server; ``usd_per_hour`` is the formula above."""

    purchase_usd: float
    lifetime_years: float
    power_kw: float = 0.0
    electricity_usd_per_kwh: float = 0.0
    pue: float = 1.0
    ops_usd_per_year: float = 0.0

    def __post_init__(self) -> None:
        for name in ("purchase_usd", "power_kw", "electricity_usd_per_kwh", "ops_usd_per_year"):
            value = getattr(self, name)
            if not math.isfinite(value) or value < 0:
                raise ValueError(f"{name} must be a number >= 0, got {value!r}")
        if not math.isfinite(self.lifetime_years) or self.lifetime_years <= 0:
            raise ValueError(f"lifetime_years must be > 0, got {self.lifetime_years!r}")
        if not math.isfinite(self.pue) or self.pue < 1:
            raise ValueError(f"pue must be >= 1 (1.0 = no facility overhead), got {self.pue!r}")

    @property
    def capital_usd_per_hour(self) -> float:
        return self.purchase_usd / (self.lifetime_years * HOURS_PER_YEAR)

    @property
    def power_usd_per_hour(self) -> float:
        return self.power_kw * self.pue * self.electricity_usd_per_kwh

    @property
    def ops_usd_per_hour(self) -> float:
        return self.ops_usd_per_year / HOURS_PER_YEAR

    @property
    def usd_per_hour(self) -> float:
        return self.capital_usd_per_hour + self.power_usd_per_hour + self.ops_usd_per_hour
