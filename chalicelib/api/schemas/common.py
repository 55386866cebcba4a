"""What every blueprint's wire formats share: strict requests, the error body, instants, days and money."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from ...domain.timeutil import FIRST_DAY, LAST_DAY

Email = Field(pattern=r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$", max_length=254, examples=["pat@example.com"])


Instant = Field(description="RFC 3339 timestamp with offset", examples=["2026-12-01T09:00:00Z"])


# A calendar day in the range every instant must lie in (domain/timeutil.py), so no date arithmetic overflows.
Day = Annotated[date, Field(ge=FIRST_DAY, le=LAST_DAY)]


Money = Field(ge=0, le=10_000_000, description="integer minor units (cents)")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Error(BaseModel):
    code: str
    message: str
    field: str | None = None
