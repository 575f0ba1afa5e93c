"""A lean start for the command line and the worker.

sqlite-utils imports pandas and numpy when they are installed (the dashboard needs them), only to map their
types to column types. For a command that never hands a DataFrame to the store that is most of its start-up:
about 0.6 s and 70 MiB. :func:`import_sqlite_utils_lean` imports sqlite-utils with both hidden, so it registers
none of their types; pandas and numpy stay importable afterwards for anything that really uses them.
"""

from __future__ import annotations

import sys

HIDDEN = ("pandas", "numpy")


def import_sqlite_utils_lean() -> None:
    """Import sqlite-utils without pandas and numpy, unless one of the three is loaded already."""
    if any(name in sys.modules for name in ("sqlite_utils", *HIDDEN)):
        return
    for name in HIDDEN:
        sys.modules[name] = None  # type: ignore[assignment]  # "import pandas" now raises ImportError
    try:
        import sqlite_utils  # noqa: F401
    finally:
        for name in HIDDEN:
            if name in sys.modules and sys.modules[name] is None:
                del sys.modules[name]
