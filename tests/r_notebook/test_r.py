"""R: its packages load, the `ir` kernel runs dplyr, and an R script runs as an HTCondor job."""

import pytest

from tests.containers import Container

R_PACKAGES = (
    "IRkernel",
    "tidyverse",
    "ggplot2",
    "dplyr",
    "tidyr",
    "readr",
    "rmarkdown",
    "caret",
    "randomForest",
    "forecast",
    "crayon",
    "data.table",
    "e1071",
    "hexbin",
    "htmltools",
    "htmlwidgets",
    "RCurl",
    "reshape2",
    "RODBC",
    "RSQLite",
    "shiny",
)

R_JOB = """
import htcondor2 as htcondor
submit = htcondor.Submit({
    "executable": "/usr/bin/Rscript",
    "arguments": "job.R",
    "transfer_executable": "False",
    "transfer_input_files": "job.R",
    "should_transfer_files": "YES",
    "transfer_output_files": "result.txt",
    "log": "job.log", "output": "job.out", "error": "job.err",
    "request_memory": "256MB",
})
cluster = htcondor.Schedd().submit(submit).cluster()
for event in htcondor.JobEventLog("job.log").events(stop_after=300):
    if event.cluster == cluster and event.type == htcondor.JobEventType.JOB_TERMINATED:
        print("exit", event["ReturnValue"])
        break
print(open("result.txt").read().strip())
"""


@pytest.mark.smoke
def test_r_packages_load(container: Container) -> None:
    libraries = "".join(f"suppressPackageStartupMessages(library({name}));" for name in R_PACKAGES)
    done = container.exec("Rscript", "-e", libraries + "cat('loaded')", check=False)
    assert done.stdout.endswith("loaded"), done.stderr


def test_ir_kernel_runs_dplyr(container: Container) -> None:
    assert "ir" in container.kernels()
    outputs = container.run_notebook(
        [
            "suppressPackageStartupMessages(library(dplyr))\n"
            "cat(mtcars %>% filter(cyl == 4) %>% summarise(n = n()) %>% pull(n))"
        ],
        kernel="ir",
    )
    assert "11" in "".join(out.get("text", "") for out in outputs[0])


@pytest.mark.smoke
def test_r_script_runs_as_an_htcondor_job(container: Container) -> None:
    container.exec("mkdir", "-p", "/home/jovyan/rjob")
    container.exec(
        "sh",
        "-c",
        "cat > /home/jovyan/rjob/job.R <<'EOF'\n"
        "suppressPackageStartupMessages(library(dplyr))\n"
        "writeLines(as.character(mtcars %>% filter(gear == 5) %>% nrow()), 'result.txt')\nEOF",
    )
    done = container.exec("sh", "-c", f"cd /home/jovyan/rjob && python - <<'EOF'\n{R_JOB}\nEOF", timeout=400)
    assert done.stdout.split() == ["exit", "0", "5"], done.stdout + done.stderr


def test_r_plots_carry_docker_stacks_mimetypes(container: Container) -> None:
    """An R plot in a notebook comes as PNG, JPEG, SVG and PDF, as in docker-stacks' images."""
    outputs = container.run_notebook(["plot(1:10)"], kernel="ir")
    data = next(out["data"] for out in outputs[0] if "data" in out)
    assert {"text/plain", "image/png", "image/jpeg", "image/svg+xml", "application/pdf"} <= set(data), set(data)
