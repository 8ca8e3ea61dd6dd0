"""FC example 1 with fcsdk: the event is validated into a model before the handler runs.

Invoke locally:  fcsdk invoke index.handler --event '{"key": "value"}'
"""

from pydantic import BaseModel

import fcsdk as fc


class Event(BaseModel):
    key: str


@fc.handler
def handler(event: Event, context: fc.Context) -> str:
    context.logger.info("got key of length %d", len(event.key))
    return event.key
