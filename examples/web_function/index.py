"""A FastAPI app as an FC 3.0 web function: ``fcsdk serve`` on the custom runtime.

FC passes every HTTP request of the trigger through to the server unchanged (method, path, query,
headers, body) and adds its ``x-fc-*`` headers; ``fcsdk serve index.handler`` hands them to the
app, with the invocation's ``fc.Context`` in ``request.scope["fc.context"]`` (request id in the
log lines, the function's credentials). The app's lifespan starts once (FC's Initializer call,
or the first request) and ends before the instance stops (PreStop, or SIGTERM), after which the
module's ``@fc.pre_stop`` runs.

Try it locally (see README.md):
    fcsdk serve index.handler --port 9000 &
    curl -s localhost:9000/hello/FC -H 'x-fc-request-id: local-1'
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

import fcsdk as fc

fc.logging.setup()  # FC's line format (with the request id); JSON with FCSDK_LOG_FORMAT=json


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
    # Open clients here (DB pools, httpx.AsyncClient): they live as long as the instance and
    # run on the server's event loop, like the requests.
    fc.logger.info("lifespan startup")
    yield {"greeting": "Hello"}
    fc.logger.info("lifespan shutdown")


api = FastAPI(lifespan=lifespan)


class Order(BaseModel):
    item: str
    qty: int = 1


@api.get("/hello/{name}")
def hello(name: str, request: Request) -> dict[str, str]:
    context: fc.Context = request.scope["fc.context"]
    fc.logger.info("greeting %s", name)  # the line carries this request's id
    return {"text": f"{request.state.greeting}, {name}!", "request_id": context.request_id}


@api.post("/orders", status_code=201)
def create_order(order: Order) -> Order:
    return order


@api.get("/countdown")
async def countdown(start: int = 3) -> StreamingResponse:
    async def lines() -> AsyncIterator[bytes]:
        for n in range(start, 0, -1):
            yield f"{n}\n".encode()
            await asyncio.sleep(0.2)

    return StreamingResponse(lines(), media_type="text/plain")  # streams through FC


handler = fc.http.asgi(api)


@fc.pre_stop
def stop(context: fc.Context) -> None:
    """Runs before the instance is destroyed, after the app's lifespan shutdown."""
    fc.logger.info("instance stopping")
