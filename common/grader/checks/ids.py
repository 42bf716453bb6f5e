"""Ids that no user has, shaped like the service's own, for the "unknown id" requirements.

A service whose ids are numbers may refuse "no-such-user" with 400 before looking it up; the
contract's point is the 404 for an id that does not exist, so the unknown id mimics a real one.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def unknown_id_like(known: Any) -> str:
    """An id of the same shape as `known` (digits, a UUID, or other text) that no user has."""
    text = str(known)
    if text.isdigit():
        return str(int(text) + 987_654_321)
    if UUID.fullmatch(text):
        return str(uuid.uuid4())
    return f"{text}-gone-{uuid.uuid4().hex[:8]}"
