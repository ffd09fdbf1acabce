"""Why a plan over periods looks the way it does, and why none exists (SPEC 5.4).

- :func:`period_bindings`: the capacity and budget rows that moved the plan, each naming
  its period. The LP with the integer decisions fixed (:meth:`.Backend.polish`) gives
  these rows no useful price: a capacity row holds the fixed instance counts and the
  training hours, whose total the fixed option sets (moving them between periods costs
  the same), so its dual is 0 however much one more server would save. So, as the
  one-period explanation does for capacity, each tight row is measured by re-solving
  the MILP: a capacity row with one more instance in that period (the shadow price is
  that saving per instance-hour of the period), a budget row with its limit lifted.
- :func:`diagnose`: the elastic model over periods, each row that needs slack in words
  with its period and numbers.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence

from ..model import Binding, InferenceWorkload, Period, TrainingWorkload
from ..periods import label, span
from . import ledger
from .budget import WorkClock
from .candidates import InferenceCandidates, TrainingCandidates, Universe
from .explain import Relaxer, is_tight, usd
from .milp import Milp
from .period_model import PeriodModel, build_periods
from .solvers import Backend, SolveResult

__all__ = ["buy_costs", "diagnose", "period_bindings"]


def period_bindings(u: Universe, model: PeriodModel, x: Sequence[float],
                    duals: Sequence[float] | None, relaxer: Relaxer | None = None,
                    ) -> list[Binding]:
    """Capacity and budget rows that moved the plan, naming their period, with what
    relaxing each saves (see the module's docstring)."""
    m = model.milp
    measure = _Measure(relaxer) if relaxer is not None else None
    out: list[Binding] = []
    budget_rows: dict[int, list[int]] = defaultdict(list)
    for r, tag in enumerate(m.row_tags):
        kind = tag[0]
        if kind == "capacity":
            found = _capacity(u, model, r, x, duals, measure)
            if found is not None:
                out.append(found)
        elif kind == "budget":
            budget_rows[int(str(tag[1]))].append(r)
        elif kind == "workload_budget" and is_tight(m, r, x, duals):
            saving = measure.lifted(m, [r], x, small_only=False) if measure else None
            used, limit = m.activity(r, x), m.row_upper[r]
            out.append(Binding("workload_budget", str(tag[1]), _money(used, limit),
                               _price(duals, r), "objective per USD", saving))
    for index, rows in sorted(budget_rows.items()):
        out.extend(_budget(u, model, index, rows, x, duals, measure))
    return out


class _Measure:
    """The relaxer, with at most ``limit`` re-solves for one model: a scenario whose model
    has hundreds of full rows gets the first ones measured and the rest listed with the
    saving blank, rather than minutes of re-solves."""

    def __init__(self, relaxer: Relaxer, limit: int = 100) -> None:
        self.relaxer = relaxer
        self.left = limit

    def _spend(self) -> bool:
        self.left -= 1
        return self.left >= 0

    def saving(self, m: Milp, row: int, delta: float, start: Sequence[float]) -> float | None:
        return self.relaxer.saving(m, row, delta, start) if self._spend() else None

    def lifted(self, m: Milp, rows: Sequence[int], start: Sequence[float],
               small_only: bool = True) -> float | None:
        return self.relaxer.lifted(m, rows, start, small_only) if self._spend() else None

    def moved(self, saving: float | None) -> bool:
        return self.relaxer.moved(saving)


def _price(duals: Sequence[float] | None, r: int) -> float | None:
    dual = duals[r] if duals is not None else None
    return dual + 0.0 if dual else None


def _capacity(u: Universe, model: PeriodModel, r: int, x: Sequence[float],
              duals: Sequence[float] | None, relaxer: _Measure | None) -> Binding | None:
    m, sc = model.milp, u.scenario
    if not is_tight(m, r, x, duals):
        return None
    tag = m.row_tags[r]
    k, p = int(str(tag[1])), int(str(tag[2]))
    saving = relaxer.saving(m, r, 1.0, x) if relaxer else None
    if relaxer and saving is not None and not relaxer.moved(saving):
        return None  # full, but one more instance in this period would not change the cost
    si, offering = u.offers[k]
    col = model.bought.get(k)
    bought = round(x[col]) if col is not None else 0
    have = ledger.available_in(sc, offering, p, bought)
    what = (f"{have} instances ({offering.available} owned + "
            f"{have - (offering.available or 0)} bought)" if have != offering.available
            else f"{have} available instance{'s' if have != 1 else ''}")
    hours = sc.timeline[p].hours
    detail = f"all {what} in use: {have * hours:,.0f} instance-hours"  # the name has the period
    price = -saving / hours if saving else None
    where = f" [{label(sc.start, sc.timeline, p)}]" if len(sc.timeline) > 1 else ""
    return Binding("capacity", f"{u.sites[si].name}/{offering.name}{where}", detail, price,
                   "objective per instance-hour" if price is not None else "", saving, p)


def _budget(u: Universe, model: PeriodModel, b: int, rows: Sequence[int], x: Sequence[float],
            duals: Sequence[float] | None, relaxer: _Measure | None) -> list[Binding]:
    """A scenario budget's rows (one, or one per period) that moved the plan: at their
    limit, or whose lifting saves money (a budget can move whole instances elsewhere and
    end under its limit). Rows not at their limit are re-solved only in small models,
    all of the budget's rows at once first."""
    m, sc = model.milp, u.scenario
    bud = sc.budgets[b]
    tight = [r for r in rows if is_tight(m, r, x, duals)]
    loose = [r for r in rows if r not in tight]
    if loose and relaxer and not relaxer.moved(relaxer.lifted(m, loose, x)):
        loose = []  # lifting every loose row at once saves nothing: none of them binds
    out = []
    for r in tight + loose:
        saving = relaxer.lifted(m, [r], x, small_only=r not in tight) if relaxer else None
        if r not in tight and not (relaxer and relaxer.moved(saving)):
            continue
        period = m.row_tags[r][2]
        committed = ledger.budget_committed(sc, bud, period if isinstance(period, int) else None)
        used = m.activity(r, x) + committed
        name = bud.name + (f" [{label(sc.start, sc.timeline, period)}]"
                           if isinstance(period, int) and len(sc.timeline) > 1 else "")
        out.append(Binding("budget", name, _money(used, bud.limit_usd, committed),
                           _price(duals, r), "objective per USD", saving,
                           period if isinstance(period, int) else None))
    return out


def _money(used: float, limit: float, committed: float = 0.0) -> str:
    """Use against the user's limit (the name says the period, if any)."""
    share = f"{used / limit:.0%} used: " if limit > 0 else ""
    of = f" (incl. {usd(committed)} committed)" if committed > 0.005 else ""
    return f"{share}{usd(used)}{of} of {usd(limit)}"


def buy_costs(backend: Backend, model: PeriodModel, primary: Sequence[float],
              value: float | None, bought: Mapping[tuple[str, str], int], clock: WorkClock,
              gap: float) -> dict[tuple[str, str], float | None]:
    """For each offering that could be bought but was not: what buying one unit would
    add to the plan's cost (the best plan with at least one bought, re-solved, less the
    plan's cost); None when no such plan was found. The other side of what the units
    bought save (buy_savings)."""
    if value is None:
        return {}
    out: dict[tuple[str, str], float | None] = {}
    for key, col in zip(bought, model.bought.values(), strict=True):
        if bought[key]:
            continue
        other = _resolved(backend, model.milp, (col, "lower", 1.0), primary, clock, gap)
        out[key] = other.objective - value if other.objective is not None else None
    return out


def buy_savings(backend: Backend, model: PeriodModel, primary: Sequence[float],
                value: float | None, bought: Mapping[tuple[str, str], int], clock: WorkClock,
                gap: float) -> dict[tuple[str, str], float | None]:
    """What the units bought save against renting: the cost of the best plan that buys
    none of them (the other offerings' purchases kept free) less the plan's cost; None
    when no plan meets every rule without them."""
    assert value is not None
    out: dict[tuple[str, str], float | None] = {}
    for key, col in zip(bought, model.bought.values(), strict=True):
        if not bought[key]:
            continue
        other = _resolved(backend, model.milp, (col, "upper", 0.0), primary, clock, gap)
        if other.objective is not None:
            out[key] = other.objective - value
        elif other.status == "infeasible":
            out[key] = None
    return out


def _resolved(backend: Backend, m: Milp, bound: tuple[int, str, float], primary: Sequence[float],
              clock: WorkClock, gap: float) -> SolveResult:
    """``m`` re-solved with one column's lower or upper bound set to a value (restored
    after), its work charged to ``clock``."""
    col, side, fixed = bound
    bounds = m.col_lower if side == "lower" else m.col_upper
    saved = bounds[col]
    bounds[col] = fixed
    try:
        other = backend.solve(m, primary, None, max(clock.left(), 0.5), gap)
        clock.charge(other.work, other.cut)
    finally:
        bounds[col] = saved
    return other


# ---------------------------------------------------------------------- elastic diagnosis


def diagnose(universe: Universe, inference: Sequence[InferenceCandidates],
             training: Sequence[TrainingCandidates], backend: Backend,
             clock: WorkClock) -> list[str]:
    """The elastic model over periods: each row that needs slack, in words, naming the
    period and the numbers (SPEC 5.4)."""
    sc = universe.scenario
    model = build_periods(universe, inference, training, sc.budgets, elastic=True)
    m = model.milp
    result = backend.solve(m, m.penalty, None, max(clock.left(), 1.0), 1e-6)
    clock.charge(result.work, result.cut)
    if result.x is None:
        return ["the solver reports no plan exists, and the elastic relaxation did not finish; "
                "raise --time-limit to get a diagnosis"]
    out = []
    for j, tag in enumerate(m.col_tags):
        if tag[0] == "slack" and result.x[j] > 1e-6:
            out.append(_slack_message(universe, model, tag[1:], result.x[j], result.x))
    return out or ["no plan meets every rule at once, but no single rule explains it; relax "
                   "budgets, SLOs or capacity limits one at a time to find it"]


def _slack_message(u: Universe, model: PeriodModel, tag: tuple[object, ...], slack: float,
                   x: Sequence[float]) -> str:
    sc = u.scenario
    kind = tag[0]
    periods = sc.timeline

    def when(p: object) -> str:
        return f"{label(sc.start, periods, int(str(p)))}: " if len(periods) > 1 else ""

    if kind == "demand":
        w = next(x for x in sc.workloads if x.name == tag[1])
        assert isinstance(w, InferenceWorkload)
        need = w.demand_in(str(tag[2]), int(str(tag[3])))
        return (f"{tag[1]}: {when(tag[3])}needs {need:g} rps for {tag[2]}, the offerings within "
                f"its SLO can carry {need - slack:.4g} at most (with the capacity and budgets "
                "available)")
    if kind == "choose":
        return _choose_message(u, model, str(tag[1]))
    if kind == "capacity":
        k, p = int(str(tag[1])), int(str(tag[2]))
        si, o = u.offers[k]
        col = model.bought.get(k)
        bought = round(x[col]) if col is not None else 0
        have = ledger.available_in(sc, o, p, bought)
        extra = f" (+{have - (o.available or 0)} bought)" if have != o.available else ""
        hours = periods[p].hours
        return (f"{u.sites[si].name}/{o.name}: {when(p)}available is {o.available}{extra} "
                f"({have * hours:,.0f} instance-hours in {hours:g} h) but the plan needs "
                f"{have + slack:.2f} instances on average over the period "
                f"({(have + slack) * hours:,.0f} instance-hours); raise available, allow "
                "buying, or admit other sites")
    if kind == "min_instances":
        return f"{tag[1]}: {when(tag[2])}min_instances cannot be met ({slack:.0f} short)"
    if kind == "min_sites":
        return f"{tag[1]}: {when(tag[2])}min_sites cannot be met ({slack:.0f} site(s) short)"
    if kind == "budget":
        b = sc.budgets[int(str(tag[1]))]
        period = tag[2] if isinstance(tag[2], int) else None
        within = when(period) if period is not None else ""
        committed = ledger.budget_committed(sc, b, period)
        of = f", of which {usd(committed)} is committed owned hardware" if committed > 0.005 else ""
        scope = "that period" if period is not None and len(periods) > 1 else (
            f"the {sc.horizon_hours:g} h horizon")
        return (f"budget {b.name} ({usd(b.limit_usd)} per period)" if b.per_period else
                f"budget {b.name} ({usd(b.limit_usd)})") + (
            f": {within}needs about {usd(slack)} more to meet every SLO and job: the plan "
            f"costs at least {usd(b.limit_usd + slack)} in {scope}{of}")
    return f"{tag[1]}: budget_usd cannot be met; it needs about {usd(slack)} more"


def _choose_message(u: Universe, model: PeriodModel, name: str) -> str:
    """A training job that no option can take: its window, and the smallest need of its
    options in instance-hours against what is free."""
    sc = u.scenario
    w = next(x for x in sc.workloads if x.name == name)
    assert isinstance(w, TrainingWorkload)
    end = min(sc.horizon_hours, w.deadline_hours or sc.horizon_hours)
    window = f"hours {w.release_hours:g} to {end:g}"
    if sc.start is not None:
        window += f", {span(sc.start, Period(w.release_hours, end - w.release_hours))}"
    job = next((t for t in model.training if t.cand.workload.name == name), None)
    need = ""
    if job is not None and job.cand.options:
        best = min(job.cand.options, key=lambda o: o.instance_hours)
        o = u.offers[best.offer][1]
        need = (f"; its smallest option needs {best.instance_hours:,.0f} instance-hours "
                f"({best.nodes} x {o.name} at {u.sites[best.site].name} for "
                f"{best.compute_hours:,.1f} h)")
    return (f"{name}: no option fits its window ({window}) beside the capacity and budgets "
            f"the other workloads need{need}")
