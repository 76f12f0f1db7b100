"""A self-signed certificate and its key in one PEM file that only its owner reads (openssl)."""

import os
import subprocess
import tempfile
from pathlib import Path


def make(pem: Path, subject: str, days: int, key: tuple[str, ...] = ("-newkey", "rsa:2048")) -> None:
    """Write `pem` anew, whole or not at all; OSError (the reason in strerror) when it cannot be made."""
    pem.parent.mkdir(parents=True, exist_ok=True)
    # Private from its first byte (mkstemp: mode 600), and in place only once openssl has written it.
    fd, draft = tempfile.mkstemp(prefix=f".{pem.name}.", dir=pem.parent)
    os.close(fd)
    try:
        args = [*key, "-nodes", "-days", str(days), "-subj", subject, "-keyout", draft, "-out", draft]
        try:
            done = subprocess.run(["openssl", "req", "-x509", *args], check=False, capture_output=True, text=True)
        except FileNotFoundError:
            raise OSError(0, "openssl is not installed") from None
        if done.returncode:
            raise OSError(0, done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "openssl failed")
        os.replace(draft, pem)
    finally:
        Path(draft).unlink(missing_ok=True)
