"""Optional extras: import an SDK a config needs, or say which extra installs it.

Every cloud SDK, the Kubernetes client and psycopg2 are optional (``pip install
'tierplan[aws]'`` ...). A config that needs one on an installation without it is input
the user can fix, so it ends with the install hint and exit code 2, never a traceback.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from ..errors import InputError

__all__ = ["MissingExtra", "require"]


class MissingExtra(InputError):
    """A module the config needs is not installed."""


def require(module: str, extra: str | None, what: str) -> ModuleType:
    """Import ``module`` for ``what`` (e.g. "the kubernetes controller") or fail with the hint.

    ``extra`` None: a dependency of tierplan itself (a broken installation)."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        fix = f"pip install 'tierplan[{extra}]'" if extra else "pip install --force-reinstall tierplan"
        raise MissingExtra(f"{what} needs the Python module {module!r}, which cannot "
                           f"be imported ({exc}); install it with: {fix}") from None
