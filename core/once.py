"""Creating a record exactly once when an answer can be lost on the way back.

A create that timed out, was cut off, or answered 5xx may still have been carried out. Sending it again blindly
makes a duplicate; giving up leaves the step to a later pass minutes away. So: after such a failure, look for the
key the create itself carried (a unique property, a path, or a marker in the record read back by id, never a
search, which lags new records by seconds), and create again only when it is surely not there.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from core.errors import ExternalServiceError, HubSpotRateLimited, LinearRateLimited

T = TypeVar("T")
TRIES = 3


def create_once(create: Callable[[], T], find: Callable[[], T | None], *, look_first: bool = False,
                tries: int = TRIES) -> T:
    """``create()``, or what ``find()`` returns when an earlier try (or attempt, with ``look_first``) landed."""
    for n in range(tries):
        if n or look_first:
            found = find()
            if found is not None:
                return found
        try:
            return create()
        except (HubSpotRateLimited, LinearRateLimited):
            raise  # the client already waited; the caller pauses the connector
        except ExternalServiceError as exc:
            if not exc.retryable or n == tries - 1:
                raise
    raise AssertionError("unreachable")  # pragma: no cover
