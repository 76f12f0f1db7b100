"""The scipy notebook: the scientific stack imports, plots in a notebook, and runs inside jobs."""

import pytest

from tests.containers import Container, Containers
from tests.site_pool import Site

MODULES = (
    "altair",
    "bokeh",
    "bs4",
    "cloudpickle",
    "Cython",
    "dask",
    "dask.dataframe",
    "dask_jobqueue",
    "dask_labextension",
    "dill",
    "distributed",
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


@pytest.mark.smoke
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


@pytest.mark.smoke
def test_map_of_scipy_integrals(container: Container) -> None:
    lines = container.map_script(
        "import htmap\n"
        "def integral(n):\n"
        "    from scipy.integrate import quad\n"
        "    return round(quad(lambda x: x ** n, 0, 1)[0], 9)\n"
        "print(list(htmap.map(integral, range(8))))\n"
    )
    assert lines[-1] == str([round(1 / (n + 1), 9) for n in range(8)])


def test_cython_cell_and_a_fortran_compiler(container: Container) -> None:
    """%%cython compiles with the image's C compiler; gfortran builds a program (f2py's, meson's)."""
    outputs = container.run_notebook(
        [
            "%load_ext Cython",
            "%%cython\ndef triangle(int n):\n    cdef int i, s = 0\n"
            "    for i in range(n + 1):\n        s += i\n    return s",
            "triangle(100)",
        ],
        timeout=300,
    )
    assert outputs[2][0]["data"]["text/plain"] == "5050", outputs
    program = "program p\n  print '(i0)', 6 * 7\nend program p\n"
    done = container.exec(
        "sh", "-c", f"cd /tmp && cat > p.f90 <<'EOF'\n{program}EOF\ngfortran -o p p.f90 && ./p", check=False
    )
    assert done.stdout.strip() == "42", done.stderr


def test_matplotlib_font_cache_is_built_and_usetex_renders(container: Container) -> None:
    """No "Matplotlib is building the font cache" in a user's first plot; LaTeX labels (cm-super, dvipng) work."""
    code = (
        "import warnings, matplotlib; matplotlib.use('Agg'); warnings.simplefilter('error')\n"
        "import matplotlib.pyplot as plt\n"
        "plt.rcParams['text.usetex'] = True\n"
        "plt.plot([0, 1]); plt.xlabel(r'$\\alpha^2$'); plt.savefig('/tmp/usetex.png')\n"
        "print('saved')\n"
    )
    done = container.exec("python", "-c", code, check=False, timeout=300)
    assert done.stdout.strip() == "saved" and "font cache" not in done.stderr, done.stderr


def test_a_scipy_map_runs_in_the_scipy_image_at_a_site_that_shares_nothing(
    scipy_site: Site, containers: Containers
) -> None:
    """NumPy and SciPy in the job: the site's execute nodes have neither, the notebook's image both."""
    notebook = scipy_site.start_notebook(containers)
    lines = notebook.map_script(
        "import htmap, numpy\n"
        "def integral(n):\n"
        "    from scipy.integrate import quad\n"
        "    return [round(quad(lambda x: x ** n, 0, 1)[0], 9), numpy.__version__]\n"
        "print(list(htmap.map(integral, range(4))), numpy.__version__)\n",
        timeout=900,
    )
    *results, version = lines[-1].rsplit(" ", 1)
    assert " ".join(results) == str([[round(1 / (n + 1), 9), version] for n in range(4)])
