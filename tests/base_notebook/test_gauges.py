"""Lab's status bar gauges (jupyter-resource-usage): Jupyter's CPU and memory against the container's limits."""

import re

from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from tests.base_notebook.test_dashboard import until
from tests.containers import Containers

STATUS_BAR = "#jp-main-statusbar"
# jupyter-resource-usage's status bar text, e.g. "CPU: 24.50 % | Mem: 76.47 / 1024.00 MB".
MEMORY = re.compile(r"Mem: [0-9]+\.[0-9]{2} / 1024\.00 MB")
CPU = re.compile(r"CPU: [0-9]+\.[0-9]{2} %")


def gauges(driver: WebDriver) -> str | None:
    """The status bar's text once it shows both gauges, memory against the limit."""
    text = driver.find_element(By.CSS_SELECTOR, STATUS_BAR).text
    return text if MEMORY.search(text) and CPU.search(text) else None


def test_the_status_bar_shows_cpu_and_memory_against_the_containers_limits(
    own_image_only: None, containers: Containers, browser: WebDriver
) -> None:
    box = containers.start(options=("--memory", "1g", "--cpus", "1.5"), wait="jupyter")
    metrics = box.get_json("/api/metrics/v1")
    assert metrics["limits"]["memory"] == {"rss": 1024**3, "pss": 1024**3, "warn": False}, metrics
    # No CPU warning: 1.3.0's compares percent with CPUs, so it turns the gauges red at 1.5 %.
    assert metrics["limits"]["cpu"] == {"cpu": 1.5}, metrics
    browser.get(f"http://127.0.0.1:{box.port()}/lab?token={box.token()}")
    until(browser, "the memory and CPU gauges", gauges)
