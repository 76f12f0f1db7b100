"""The personal pool: one slot of the container, run by the notebook user, private to the container."""

import pytest

from tests.containers import Container, Containers


@pytest.mark.smoke
def test_one_partitionable_slot_with_the_containers_cpus(container: Container) -> None:
    # Dynamic slots that earlier jobs carved from it may be listed too.
    parents = container.exec("condor_status", "-const", "PartitionableSlot", "-af", "TotalSlotCpus").stdout
    assert parents.split() == [container.exec("nproc").stdout.strip()]


def test_every_process_runs_as_the_notebook_user(container: Container) -> None:
    processes = container.processes()
    daemons = {name for user, name in processes if name.startswith("condor_")}
    assert {"condor_master", "condor_collecto", "condor_negotiat", "condor_schedd", "condor_startd"} <= daemons
    assert [p for p in processes if p[0] != "jovyan"] == []


def test_pool_listens_only_on_loopback(container: Container) -> None:
    # /proc/net/tcp: local address, state 0A = LISTEN; 0100007F is 127.0.0.1.
    listening = container.python(
        "for line in open('/proc/net/tcp').read().splitlines()[1:]:\n"
        "    f = line.split()\n"
        "    if f[3] == '0A': print(f[1])\n"
    ).split()
    ports = {addr: int(addr.split(":")[1], 16) for addr in listening}
    public = [addr for addr, port in ports.items() if not addr.startswith("0100007F") and port != 8888]
    assert public == [], f"listening beyond loopback: {public}"
    assert "0100007F:2592" in ports  # 9618, the shared port


def test_state_lives_under_the_home(container: Container) -> None:
    assert container.host.file("/home/jovyan/.condor/state/spool").is_directory
    assert container.host.file("/home/jovyan/.condor/state/passwords.d").mode == 0o700


def test_the_pool_offers_the_containers_gpus_to_jobs_that_ask(containers: Containers, own_image_only: None) -> None:
    # HTCondor's GPU discovery, as with `docker run --gpus all`; here two simulated GPUs (its own test mode).
    box = containers.start(env={"_CONDOR_STARTD_DETECT_GPUS": "-properties -simulate:2,2"}, wait="healthy")
    assert box.exec("condor_status", "-const", "PartitionableSlot", "-af", "TotalSlotGPUs").stdout.split() == ["2"]
    lines = box.map_script(
        "import htmap, os\n"
        "gpus = htmap.MapOptions(request_gpus='1')\n"
        "m = htmap.map(lambda _: (os.environ['_CONDOR_AssignedGPUs'], os.environ['CUDA_VISIBLE_DEVICES']), range(2), "
        "map_options=gpus)\n"
        "for assigned, visible in m: print(assigned, visible)\n"
    )
    for line in lines[-2:]:
        assigned, visible = line.split()
        assert assigned.startswith("GPU-") and visible, lines
