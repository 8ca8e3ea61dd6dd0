"""Handlers whose annotations are strings (``from __future__ import annotations``)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

import fcsdk as fc


class Item(BaseModel):
    name: str
    qty: int


@fc.handler
def items(event: list[Item], context: fc.Context) -> int:
    return sum(i.qty for i in event)


@fc.handler
def text(event: str) -> str:
    return event.upper()


@fc.handler
def anything(event: Any, context: fc.Context) -> str:
    return type(event).__name__
