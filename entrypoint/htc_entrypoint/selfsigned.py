"""A self-signed certificate and its key in one PEM file that only its owner reads (openssl)."""

import os
import subprocess
from pathlib import Path


def make(pem: Path, subject: str, days: int, key: tuple[str, ...] = ("-newkey", "rsa:2048")) -> None:
    """Write `pem` anew; OSError (the reason in strerror) when it cannot be made."""
    pem.parent.mkdir(parents=True, exist_ok=True)
    pem.unlink(missing_ok=True)
    # Private from its first byte: openssl writes into the file as it is.
    os.close(os.open(pem, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    args = [*key, "-nodes", "-days", str(days), "-subj", subject, "-keyout", str(pem), "-out", str(pem)]
    done = subprocess.run(["openssl", "req", "-x509", *args], check=False, capture_output=True, text=True)
    if done.returncode:
        raise OSError(0, done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "openssl failed")
