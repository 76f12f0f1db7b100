"""The talk's seed example, through the personal pool, as a script and as a notebook."""

import json

import pytest

from tests.containers import Container

SEED = """
import htmap

def double(x):
    return 2 * x

doubled = htmap.map(double, range(10), tag="{tag}")
print(list(doubled))
"""
EXPECTED = "[0, 2, 4, 6, 8, 10, 12, 14, 16, 18]"


@pytest.mark.smoke
def test_seed_example_as_a_script(container: Container) -> None:
    container.exec("sh", "-c", f"cat > /tmp/seed.py <<'EOF'\n{SEED.format(tag='Simulation1')}\nEOF")
    done = container.exec("python", "/tmp/seed.py", check=False, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == EXPECTED
    loaded = container.python("import htmap; m = htmap.load('Simulation1'); print(list(m))")
    assert loaded.strip() == EXPECTED
    status = container.exec("htmap", "status").stdout
    assert "Simulation1" in status


def test_seed_example_in_a_notebook(container: Container) -> None:
    outputs = container.run_notebook(
        [
            SEED.format(tag="NotebookSimulation1"),
            "doubled.wait(show_progress_bar=True)",
            "doubled",
        ]
    )
    text = "".join(out.get("text", "") for out in outputs[0])
    assert EXPECTED in text
    # Results, not warnings: nothing else in the cell (HTMap on the version-2 bindings).
    assert {out.get("name") for out in outputs[0]} == {"stdout"}, json.dumps(outputs[0])[:2000]
    assert "Warning" not in json.dumps(outputs), json.dumps(outputs)[:2000]
    # In a kernel the progress is a widget, updated in place; its text form, which is what
    # nbclient keeps, ends complete. Nothing else in the cell.
    [shown] = outputs[1]
    assert "application/vnd.jupyter.widget-view+json" in shown["data"], json.dumps(outputs[1])[:2000]
    bar = shown["data"]["text/plain"]
    assert bar.startswith("NotebookSimulation1: |" + "#" * 30 + "| 10/10 (idle 0, running 0, completed 10"), bar
    # A map's repr in a cell is a small table.
    [table] = outputs[2]
    assert '<table class="htmap-map">' in table["data"]["text/html"]
    assert "<td>NotebookSimulation1</td><td>10</td>" in table["data"]["text/html"]


FAILING = """
import htmap

def fail(x):
    raise ValueError(f"bad item {x}")

m = htmap.map(fail, [7], tag="Failing")
err = m.get_err(0, timeout=120)
print(err.exception_msg)
print(err.report())
m.remove()
"""


def test_a_failing_component_reports_its_error_and_packages(container: Container) -> None:
    """The installed packages, left out of components that succeed, are in the error report."""
    container.exec("sh", "-c", f"cat > /tmp/failing.py <<'EOF'\n{FAILING}\nEOF")
    done = container.exec("python", "/tmp/failing.py", check=False, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "ValueError: bad item 7" in done.stdout
    assert "with installed packages" in done.stdout
    assert "htmap==" in done.stdout and "cloudpickle==" in done.stdout
