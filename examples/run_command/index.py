"""FC example 3 with fcsdk: run an external command and return its bytes output.

The event chooses the folder to list (default: the code folder). Only a relative path inside the
code folder (FC's working directory) is accepted: no absolute path, no ``..``, no symlink leading
out; anything else is an ``EventValidationError`` naming ``path``, before any command runs. The
command is run without a shell and the path is passed after ``--``, so the event cannot inject
options or commands either.

Invoke locally:  fcsdk invoke index.handler --event '{}'
"""

import os
import subprocess

from pydantic import BaseModel, field_validator

import fcsdk as fc


class ListDir(BaseModel):
    path: str = "."

    @field_validator("path")
    @classmethod
    def inside_code_folder(cls, path: str) -> str:
        """Refuse anything outside the code folder: the invoker must not list the whole disk."""
        root = os.path.realpath(os.getcwd())
        if (
            not path
            or "\x00" in path
            or os.path.isabs(path)
            or ".." in path.replace("\\", "/").split("/")
            or os.path.commonpath([root, os.path.realpath(os.path.join(root, path))]) != root
        ):
            raise ValueError("must be a relative path inside the function's code folder")
        return path


@fc.handler
def handler(event: ListDir, context: fc.Context) -> bytes:
    return subprocess.check_output(["ls", "-l", "--", event.path])
