"""FC example 3 with fcsdk: run an external command and return its bytes output.

The event chooses the folder to list (default: the code folder). The command is run without a
shell and the path is passed after ``--``, so the event cannot inject options or commands.

Invoke locally:  fcsdk invoke index.handler --event '{}'
"""

import subprocess

from pydantic import BaseModel

import fcsdk as fc


class ListDir(BaseModel):
    path: str = "."


@fc.handler
def handler(event: ListDir, context: fc.Context) -> bytes:
    return subprocess.check_output(["ls", "-l", "--", event.path])
