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


# A job on hold asking to keep its claim 30 s (as HTMap does): its submission time and the
# KeepClaimIdle the schedd's transform gave it.
KEPT_IDLE = r"""
cluster=$(condor_submit -terse -a executable=/bin/true -a hold=true -a keep_claim_idle=30 -a queue </dev/null)
cluster=${cluster%%.*}
condor_q "$cluster" -af QDate KeepClaimIdle
condor_rm "$cluster" >/dev/null
"""


def kept_idle(box: Container) -> tuple[int, int]:
    """A job's submission time (epoch seconds) and the seconds its claim is kept idle."""
    submitted, kept = box.exec("sh", "-c", KEPT_IDLE).stdout.split()
    return int(submitted), int(kept)


def claims_kept_from(box: Container) -> int:
    """From when the personal pool keeps claims idle: the entrypoint's word to condor_master."""
    (master,) = box.pids("condor_master")
    environ = box.exec("cat", f"/proc/{master}/environ").stdout.split("\0")
    return int(next(var for var in environ if var.startswith("HTC_CLAIMS_KEPT_FROM=")).split("=")[1])


@pytest.mark.usefixtures("own_image_only")  # base's pool configuration, the same in every image
def test_claims_are_kept_a_second_except_in_the_pools_first_seconds(containers: Containers) -> None:
    # The schedd's first pass over idle claims comes 10 s after it starts: a claim kept before then
    # held the next map until that pass. Given back, the next map is matched at once.
    box = containers.start()
    box.wait_for_log("pool ready:")
    kept_from = claims_kept_from(box)
    submitted, kept = kept_idle(box)
    assert submitted < kept_from, f"the pool's first seconds were over before a job came ({submitted}, {kept_from})"
    assert kept == 0
    box.wait_for(lambda: kept_idle(box)[0] >= kept_from, "a submission after the pool's first seconds")
    assert kept_idle(box)[1] == 1
