"""htc_dask_ssl (scipy's Dask preload): every TLS call clears OpenSSL's error queue first, and TLS still works."""

import socket
import ssl
import subprocess
import threading
from pathlib import Path

import pytest

from tests.build import load_script


def test_tls_calls_clear_the_error_queue_and_a_connection_still_talks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    module = load_script("scipy-notebook/htc_dask_ssl.py")
    for cls in (ssl.SSLSocket, ssl.SSLObject):
        assert all(getattr(cls, name).htc_clears_errors for name in ("do_handshake", "read", "write")), cls
    assert ssl.SSLSocket.send.htc_clears_errors
    load_script("scipy-notebook/htc_dask_ssl.py")  # a second import wraps nothing twice
    assert not hasattr(ssl.SSLSocket.read.__wrapped__, "htc_clears_errors")
    cleared: list[int] = []
    clear = module._clear_errors
    monkeypatch.setattr(module, "_clear_errors", lambda: cleared.append(1) or clear())
    # Mutual TLS with one self-signed certificate, as Dask at a site (entrypoint/htc_entrypoint/dask_site.py).
    pem = str(tmp_path / "tls.pem")
    key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1", "-subj", "/CN=t"]
    subprocess.run(["openssl", "req", "-x509", *key, "-keyout", pem, "-out", pem], check=True, capture_output=True)
    contexts = []
    for purpose in (ssl.Purpose.CLIENT_AUTH, ssl.Purpose.SERVER_AUTH):
        context = ssl.create_default_context(purpose, cafile=pem)
        context.load_cert_chain(pem)
        context.check_hostname, context.verify_mode = False, ssl.CERT_REQUIRED
        contexts.append(context)
    left, right = socket.socketpair()
    server = threading.Thread(target=lambda: contexts[0].wrap_socket(left, server_side=True).sendall(b"pong"))
    server.start()
    with contexts[1].wrap_socket(right) as tls:
        assert tls.recv(4) == b"pong"
    server.join()
    assert len(cleared) >= 4  # both handshakes, the send and the read
