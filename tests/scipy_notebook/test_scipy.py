"""The scipy notebook: the scientific stack imports, plots in a notebook, and runs inside jobs."""

from tests.containers import Container

MODULES = (
    "altair",
    "bokeh",
    "bs4",
    "cloudpickle",
    "Cython",
    "dask",
    "dask.dataframe",
    "dill",
    "h5py",
    "ipympl",
    "matplotlib",
    "numba",
    "numpy",
    "openpyxl",
    "pandas",
    "pyarrow",
    "scipy",
    "seaborn",
    "skimage",
    "sklearn",
    "sqlalchemy",
    "statsmodels",
    "sympy",
)


def test_packages_import(container: Container) -> None:
    container.imports(*MODULES)


def test_python_kernel_registered(container: Container) -> None:
    assert "python3" in container.kernels()


def test_notebook_plots_with_matplotlib(container: Container) -> None:
    outputs = container.run_notebook(
        [
            "import numpy as np, matplotlib.pyplot as plt\n%matplotlib inline\n"
            "plt.plot(np.linspace(0, 1, 10) ** 2); plt.show()",
        ]
    )
    assert any("image/png" in out.get("data", {}) for out in outputs[0])


def test_map_of_scipy_integrals(container: Container) -> None:
    lines = container.map_script(
        "import htmap\n"
        "def integral(n):\n"
        "    from scipy.integrate import quad\n"
        "    return round(quad(lambda x: x ** n, 0, 1)[0], 9)\n"
        "print(list(htmap.map(integral, range(8))))\n"
    )
    assert lines[-1] == str([round(1 / (n + 1), 9) for n in range(8)])
