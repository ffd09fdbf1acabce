"""Plan -> table / JSON / Markdown / CSV, and atomic file output."""

from .render import FORMATS, render, write_atomic

__all__ = ["FORMATS", "render", "write_atomic"]
