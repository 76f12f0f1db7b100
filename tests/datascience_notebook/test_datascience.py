"""The datascience notebook: scipy's tests (inherited), R as in r-notebook, rpy2 inside jobs."""

import pytest

from tests.containers import Container
from tests.r_notebook.test_r import test_ir_kernel_runs_dplyr, test_r_packages_load

__all__ = ["test_ir_kernel_runs_dplyr", "test_r_packages_load"]


@pytest.mark.smoke
def test_packages_import(container: Container) -> None:
    container.imports("rpy2.robjects", "polars", "duckdb", "xgboost", "plotly")


@pytest.mark.smoke
def test_map_calls_r_through_rpy2(container: Container) -> None:
    lines = container.map_script(
        "import htmap\n"
        "def r_sum(n):\n"
        "    import rpy2.robjects as ro\n"
        "    return int(ro.r(f'sum(1:{n})')[0])\n"
        "print(list(htmap.map(r_sum, [1, 10, 100])))\n"
    )
    assert lines[-1] == "[1, 55, 5050]"
