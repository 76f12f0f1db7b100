"""The pytorch notebook: PyTorch and its libraries import, run in a notebook, train in jobs, and on a GPU if given."""

import math
import shutil
import subprocess

import pytest

from tests.containers import Container, Containers

# A linear fit by SGD, seeded: the same small training loop on CPU or on a GPU.
FIT = """
def fit(seed, device="cpu"):
    import torch
    torch.manual_seed(seed)
    x = torch.linspace(-1, 1, 64, device=device).reshape(-1, 1)
    y = 3 * x + 1
    model = torch.nn.Linear(1, 1).to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    for _ in range(200):
        optimizer.zero_grad()
        loss = torch.nn.functional.mse_loss(model(x), y)
        loss.backward()
        optimizer.step()
    return float(loss)
"""


def losses(line: str) -> list[float]:
    values = [float(v) for v in line.strip("[]").split(",")]
    assert all(math.isfinite(loss) and 0 <= loss < 1e-3 for loss in values), values
    return values


@pytest.mark.smoke
def test_packages_import(container: Container) -> None:
    container.imports("torch", "torchaudio", "torchvision")
    assert container.python("import torch, torchvision; print(torchvision.ops.nms.__name__)").strip() == "nms"


def test_notebook_runs_pytorch(container: Container) -> None:
    outputs = container.run_notebook(["import torch\nprint(int(torch.arange(5).sum()))"])
    assert "10" in "".join(out.get("text", "") for out in outputs[0])


@pytest.mark.smoke
def test_map_of_training_loops_over_four_seeds(container: Container) -> None:
    lines = container.map_script(
        "import htmap\n"
        + FIT
        + "print(list(htmap.map(fit, range(4), map_options=htmap.MapOptions(request_memory='1GB'))))",
        timeout=900,
    )
    assert len(losses(lines[-1])) == 4


def nvidia_gpu() -> bool:
    """Whether this host has an NVIDIA GPU that Docker can give a container."""
    return bool(shutil.which("nvidia-smi")) and subprocess.run(["nvidia-smi"], capture_output=True).returncode == 0


@pytest.mark.skipif(not nvidia_gpu(), reason="no NVIDIA GPU here (nvidia-smi): the GPU job runs where there is one")
def test_a_gpu_job_trains_on_the_gpu_the_pool_offers(containers: Containers) -> None:
    box = containers.start(options=("--gpus", "all"), wait="healthy")
    assert int(box.exec("condor_status", "-af", "TotalGPUs").stdout.split()[0]) >= 1
    lines = box.map_script(
        "import htmap\n" + FIT + "def on_gpu(seed):\n"
        "    import torch\n"
        "    assert torch.cuda.is_available()\n"
        "    return fit(seed, 'cuda')\n"
        "options = htmap.MapOptions(request_gpus='1', request_memory='2GB')\n"
        "print(list(htmap.map(on_gpu, range(2), map_options=options)))\n",
        timeout=900,
    )
    assert len(losses(lines[-1])) == 2
