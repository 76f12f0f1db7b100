"""The minimal notebook: the terminal's everyday tools, "Download as PDF", and Git in JupyterLab."""

import base64
import io

import pytest
from pypdf import PdfReader

from tests.containers import Container, docker

TOOLS = ("git", "curl", "wget", "less", "nano", "vim", "unzip", "ssh", "ps", "top", "xelatex", "pandoc")
SESSION = """
set -e
git init -q /tmp/src && git -C /tmp/src -c user.name=t -c user.email=t@example.org commit -q --allow-empty -m first
git clone -q file:///tmp/src /tmp/clone && git -C /tmp/clone log --format=%s
curl -s -o /dev/null -w '%{http_code}\\n' http://127.0.0.1:8888/api
wget -qO- http://127.0.0.1:8888/api | python -c 'import json, sys; print("version" in json.load(sys.stdin))'
TZ=Europe/Berlin date +%Z
echo "$LANG"
ps -eo comm | grep -E '^condor_(master|schedd)$' | sort
"""
NOTEBOOK = """
import nbformat
nb = nbformat.v4.new_notebook(cells=[
    nbformat.v4.new_markdown_cell("# Exported from an HTC notebook"),
    nbformat.v4.new_code_cell("print(6 * 7)", outputs=[nbformat.v4.new_output("stream", text="42\\n")]),
])
nbformat.write(nb, "/tmp/export.ipynb")
"""


@pytest.mark.smoke
def test_terminal_tools(container: Container) -> None:
    """A Jupyter terminal is a login shell: the tools docker-stacks' users reach for are there and work."""
    found = container.exec("bash", "-lc", " ".join(f"command -v {tool};" for tool in TOOLS)).stdout.split()
    assert [path.rsplit("/", 1)[-1] for path in found] == list(TOOLS)
    out = container.exec("bash", "-lc", SESSION).stdout.split()
    assert out[:3] == ["first", "200", "True"], out
    assert out[3] in ("CET", "CEST") and out[4] == "C.UTF-8", out
    assert out[5:] == ["condor_master", "condor_schedd"], out


def test_notebook_exports_to_pdf(container: Container) -> None:
    """`jupyter nbconvert --to pdf` (the Lab's "Download as PDF") through xelatex: a page with the text."""
    container.python(NOTEBOOK)
    done = container.exec("jupyter", "nbconvert", "--to", "pdf", "/tmp/export.ipynb", check=False, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    pdf = docker("exec", container.cid, "base64", "-w0", "/tmp/export.pdf").stdout
    text = PdfReader(io.BytesIO(base64.b64decode(pdf))).pages[0].extract_text()
    assert "Exported from an HTC notebook" in text and "42" in text, text


def test_jupyterlab_git(container: Container) -> None:
    """jupyterlab-git's server side answers behind Jupyter's token, and its Lab extension is installed."""
    assert container.http_status("/git/settings") == 403
    token = container.token()
    assert container.http_status("/git/settings", token=token) == 200
    listed = container.exec("jupyter", "labextension", "list")
    line = [line for line in (listed.stdout + listed.stderr).splitlines() if "@jupyterlab/git" in line]
    assert line and "enabled" in line[0] and "OK" in line[0], listed.stdout + listed.stderr
