"""Dask over TLS without spurious BrokenPipeError: clear OpenSSL's error queue before each TLS call.

Python's ssl module does not clear OpenSSL's per-thread error queue before SSL_read or SSL_write
(https://github.com/python/cpython/issues/148594). With OpenSSL 3.4 and later, a connection
that a peer closed leaves its EPIPE there, and the next call on any other connection of the
thread reads it as its own: Dask runs all its connections in one thread, so a worker's
registration closing broke the cluster's own connection to its scheduler. Measured in this
image (Python 3.13.5, OpenSSL 3.5): a scheduler and one TLS worker failed 4 times in 5
without this, 5 in 5 passed with it.

scipy-notebook/dask.yaml preloads it into every scheduler, worker, nanny and client; importing
it is the whole fix, once per process (and nothing where _ssl offers no ERR_clear_error).
"""

import _ssl
import ctypes
import functools
import ssl
from collections.abc import Callable
from typing import Any

try:
    # Through _ssl's own handle: the libcrypto it uses, whichever that is.
    _clear_errors = ctypes.CDLL(_ssl.__file__).ERR_clear_error
except (AttributeError, OSError):  # an _ssl built in, or without that symbol: nothing to clear with
    _clear_errors = None
else:
    _clear_errors.argtypes = []
    _clear_errors.restype = None


def _clearing(call: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(call)
    def clear_then_call(*args: Any, **kwargs: Any) -> Any:  # noqa: ANN401 (ssl's own signatures)
        _clear_errors()
        return call(*args, **kwargs)

    clear_then_call.htc_clears_errors = True  # type: ignore[attr-defined]
    return clear_then_call


for _cls in (ssl.SSLSocket, ssl.SSLObject) if _clear_errors else ():
    for _name in ("do_handshake", "read", "write", "send", "unwrap"):
        _call = getattr(_cls, _name, None)
        if _call is not None and not getattr(_call, "htc_clears_errors", False):
            setattr(_cls, _name, _clearing(_call))
