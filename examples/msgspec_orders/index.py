"""An order handler with msgspec models: typed events and replies, a cold start close to a raw
``json.loads`` handler's, and pydantic never imported.

Invoke locally:  fcsdk invoke index.handler --event-file event.json
"""

from typing import List

import msgspec

import fcsdk as fc


class Line(msgspec.Struct):
    sku: str
    qty: int
    price: float


class Order(msgspec.Struct, rename="camel"):  # FC-style camelCase keys in the JSON
    order_id: str
    lines: List[Line]


class Total(msgspec.Struct, rename="camel"):
    order_id: str
    items: int
    amount: float


@fc.handler
def handler(event: Order, context: fc.Context) -> Total:
    amount = sum(line.qty * line.price for line in event.lines)
    return Total(event.order_id, sum(line.qty for line in event.lines), round(amount, 2))
