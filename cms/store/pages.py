"""`Page`: one page of a paginated list."""

from __future__ import annotations

import dataclasses
import math
from typing import Any


@dataclasses.dataclass
class Page:
    items: list[Any]
    number: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages

    @property
    def exists(self) -> bool:
        """Page 1 always exists (maybe empty); later pages only with items."""
        return self.number == 1 or bool(self.items)
