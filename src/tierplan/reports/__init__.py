"""Plan -> table / JSON / Markdown / CSV / HTML, plan diffs, SVG charts, atomic file output.

Modules: ``document`` (the SPEC section 4 dict every format reads), ``tables`` (rows the
text formats share), ``render`` (table, JSON, CSV, the ``FORMATS`` table, ``write_atomic``),
``markdown``, ``html``, ``charts`` (dependency-free SVG charts and the page shell, also used
by the simulation report), ``planfile`` (read a plan JSON back, checked), ``diff`` and
``diffview`` (what changed between two plans, rendered).
"""

from .render import FORMATS, render, write_atomic

__all__ = ["FORMATS", "render", "write_atomic"]
