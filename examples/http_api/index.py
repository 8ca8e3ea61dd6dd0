"""An order API on fcsdk's light router: no web framework, fast cold start.

Deploy with ``s deploy`` (see s.yaml); try locally with::

    python -c "import json, index; print(index.handler(open('event.json','rb').read(), None))"
"""

from __future__ import annotations

from typing import Optional

from pydantic import BaseModel, Field

import fcsdk as fc
from fcsdk.http import HTTPError, JSONResponse

app = fc.http.Router(cors=fc.http.CORS(allow_origins=["*"]))


class NewOrder(BaseModel):
    item: str = Field(min_length=1)
    qty: int = Field(gt=0, le=100)


class Order(NewOrder):
    id: int


ORDERS: dict[int, Order] = {}


@app.get("/orders")
def list_orders(limit: int = 10, item: Optional[str] = None) -> list[Order]:
    found = [o for o in ORDERS.values() if item is None or o.item == item]
    return found[:limit]


@app.get("/orders/{order_id}")
def get_order(order_id: int) -> Order:
    order = ORDERS.get(order_id)
    if order is None:
        raise HTTPError(404, f"order {order_id} not found")
    return order


@app.post("/orders")
def create_order(new: NewOrder, context: fc.Context) -> JSONResponse:
    order = Order(id=len(ORDERS) + 1, **new.model_dump())
    ORDERS[order.id] = order
    context.logger.info("created order %s", order.id)
    return JSONResponse(order, status_code=201, headers={"Location": f"/orders/{order.id}"})


@app.delete("/orders/{order_id}")
def delete_order(order_id: int) -> None:
    ORDERS.pop(order_id, None)


handler = app
