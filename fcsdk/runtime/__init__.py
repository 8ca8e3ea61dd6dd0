"""fcsdk's local runtime: load handlers like FC, emulate the built-in runtime, serve the
custom-runtime protocol.

- :mod:`fcsdk.runtime.loader`: ``module.function`` from a code directory, FC's load errors;
- :mod:`fcsdk.runtime.invoke`: the built-in runtime emulated (``fcsdk invoke``);
- :mod:`fcsdk.runtime.server`: FC's custom-runtime HTTP protocol on uvicorn (``fcsdk serve``).

Nothing here is imported by ``import fcsdk``.

Example:
    >>> from fcsdk.runtime.errors import HandlerNotFoundError
    >>> HandlerNotFoundError("no handler").error_type
    'HandlerNotFound'
"""
