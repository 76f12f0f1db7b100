"""The tensorflow notebook: TensorFlow and Keras import, run in a notebook, and train inside jobs."""

import math

import pytest

from tests.containers import Container


@pytest.mark.smoke
def test_packages_import(container: Container) -> None:
    container.imports("tensorflow", "keras")


def test_notebook_runs_tensorflow(container: Container) -> None:
    outputs = container.run_notebook(["import tensorflow as tf\nprint(int(tf.reduce_sum(tf.range(5))))"])
    assert "10" in "".join(out.get("text", "") for out in outputs[0])


@pytest.mark.smoke
def test_map_of_keras_fits_over_four_seeds(container: Container) -> None:
    lines = container.map_script(
        "import htmap\n"
        "def fit(seed):\n"
        "    import numpy as np, keras\n"
        "    keras.utils.set_random_seed(seed)\n"
        "    x = np.linspace(-1, 1, 64).reshape(-1, 1); y = 3 * x + 1\n"
        "    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])\n"
        "    model.compile(optimizer=keras.optimizers.SGD(0.1), loss='mse')\n"
        "    return float(model.fit(x, y, epochs=20, verbose=0).history['loss'][-1])\n"
        "losses = list(htmap.map(fit, range(4), map_options=htmap.MapOptions(request_memory='1GB')))\n"
        "print(losses)\n",
        timeout=900,
    )
    losses = [float(v) for v in lines[-1].strip("[]").split(",")]
    assert len(losses) == 4
    assert all(math.isfinite(loss) and 0 <= loss < 1 for loss in losses), losses
