"""Reading input files and writing output files, the same way everywhere.

- :func:`read_text`: a UTF-8 input file, or a :class:`~tierplan.errors.ScenarioError`
  naming the file (exit code 2) instead of an ``OSError`` traceback.
- :func:`write_atomic`: a temporary file in the same folder, then ``os.replace``, so a
  reader never sees half a file and an existing file is never lost on an error.

Standard library only: the catalog and the CLI import this on their fast paths.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from .errors import ScenarioError

__all__ = ["TooLarge", "read_text", "write_atomic"]


def read_text(path: str | os.PathLike[str], what: str = "file", max_bytes: int | None = None) -> str:
    """The text of ``path`` (``~`` expanded); errors say ``<what> not found`` or
    ``cannot read the <what> (...)``. With ``max_bytes``, at most that many bytes are
    read: a longer file raises :class:`TooLarge` (the caller says which limit to raise)."""
    file = str(path)
    try:
        with Path(path).expanduser().open("rb") as fh:
            data = fh.read() if max_bytes is None else fh.read(max_bytes + 1)
        if max_bytes is not None and len(data) > max_bytes:
            raise TooLarge(file, max_bytes)
        # Line ends as text mode reads them (universal newlines), as before the limit.
        return data.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")
    except FileNotFoundError:
        raise ScenarioError(file, "", f"{what} not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(file, "", f"cannot read the {what} ({exc})") from None


class TooLarge(ScenarioError):
    """An input file longer than the limit its reader set (``read_text(max_bytes=...)``)."""

    def __init__(self, file: str, max_bytes: int) -> None:
        super().__init__(file, "", f"longer than {max_bytes:,} bytes")
        self.max_bytes = max_bytes


def write_atomic(path: str | os.PathLike[str], text: str) -> None:
    """Write via a temporary file in the same folder and rename: never a half-written file."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    # mkstemp makes the file private (0600); an output is meant to be shared, so give it
    # the mode a plain open() would (or the replaced file's mode).
    try:
        mode = target.stat().st_mode & 0o777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            os.fchmod(fh.fileno(), mode)
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
