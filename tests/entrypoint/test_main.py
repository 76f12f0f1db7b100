"""The whole entrypoint as a process, with fake condor binaries on PATH."""

import os
import re
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

ENTRYPOINT = Path(__file__).parents[2] / "entrypoint"

FAKE_MASTER = """#!/usr/bin/env python3
import os, signal, sys, time
signal.signal(signal.SIGQUIT, lambda *_: sys.exit(0))
names = ("CONDOR_CONFIG", "HTC_POOL_DIR", "_CONDOR_NUM_CPUS", "_CONDOR_MEMORY", "_CONDOR_UID_DOMAIN")
with open(os.path.join(os.environ["HOME"], "master.env"), "w") as out:
    out.writelines(f"{k}={v}\\n" for k, v in sorted(os.environ.items()) if k in names)
open(os.path.join(os.environ["HTC_POOL_DIR"], "log", ".startd_address"), "w").close()
with open(os.path.join(os.environ["HTC_POOL_DIR"], "spool", ".schedd_classad"), "w") as ad:
    ad.write('MyType = "Scheduler"\\nName = "notebook@box"\\n')
time.sleep(60)
"""
# The fake collector knows the pool once the fake master has started.
FAKE_STATUS = """#!/bin/sh
[ -f "$HOME/master.env" ] && printf 'Machine 3 1234\\nScheduler undefined undefined\\n'
true
"""
# What HTCondor gives a job's container.
A_JOB = {"_CONDOR_JOB_AD": "/srv/.job.ad", "_CONDOR_SCRATCH_DIR": "/srv"}
FAKE_Q_FAILS = """#!/bin/sh
echo "-- Failed to fetch ads from: <10.0.0.1:9618> : somewhere" >&2
exit 1
"""


def script(folder: Path, name: str, text: str) -> None:
    path = folder / name
    path.write_text(text)
    path.chmod(path.stat().st_mode | stat.S_IEXEC)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """A home, a PATH with fake condor binaries, and the health file, all under tmp_path."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script(bin_dir, "condor_master", FAKE_MASTER)
    script(bin_dir, "condor_status", FAKE_STATUS)
    script(bin_dir, "condor_q", FAKE_Q_FAILS)
    home = tmp_path / "home"
    home.mkdir()
    return {
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "HOME": str(home),
        "PYTHONPATH": str(ENTRYPOINT),
        "HTC_POOL_CONFIG": "/etc/condor/personal-pool.conf",
        "HTC_HEALTH_FILE": str(tmp_path / "health.json"),
    }


def run(env: dict[str, str], *cmd: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "htc_entrypoint", *cmd], env=env, capture_output=True, text=True, timeout=30, check=False
    )


def test_personal_mode_starts_master_with_pool_config_then_the_command(env: dict[str, str]) -> None:
    done = run(env, "sh", "-c", 'cat "$HOME/master.env"')
    assert done.returncode == 0, done.stderr
    assert "CONDOR_CONFIG=/etc/condor/personal-pool.conf" in done.stdout
    assert f"HTC_POOL_DIR={env['HOME']}/.condor/state" in done.stdout
    assert "_CONDOR_NUM_CPUS=" in done.stdout and "_CONDOR_MEMORY=" in done.stdout
    assert "personal mode: _CONDOR_SCHEDD_HOST is not set" in done.stderr
    assert "pool ready: 3 CPUs, 1234 MB" in done.stderr
    # docker-stacks' words for the start and the command, in their format.
    lines = done.stderr.splitlines()
    assert re.fullmatch(r"INFO\[[-0-9]{10} [:0-9]{8}\] Entered start\.sh with args: sh -c cat .*", lines[0]), lines
    assert re.search(r"\] Executing the command: sh -c cat .* \(after [.0-9]+ s\)$", done.stderr, re.M), lines
    for sub in ("spool", "log", "execute", "passwords.d"):
        assert (Path(env["HOME"]) / ".condor" / "state" / sub).is_dir()


def test_users_cpu_override_wins(env: dict[str, str]) -> None:
    done = run({**env, "_condor_NUM_CPUS": "8"}, "sh", "-c", 'cat "$HOME/master.env"')
    assert "_CONDOR_NUM_CPUS=" not in done.stdout


def test_bad_cpu_count_is_one_line_and_the_command_still_runs(env: dict[str, str]) -> None:
    done = run({**env, "_CONDOR_NUM_CPUS": "abc"}, "echo", "still here")
    assert done.stdout == "still here\n"
    errors = [line for line in done.stderr.splitlines() if "ERROR" in line]
    assert len(errors) == 1 and "_CONDOR_NUM_CPUS='abc'" in errors[0]


def test_unwritable_home_is_named_and_the_command_still_runs(env: dict[str, str]) -> None:
    if os.geteuid() == 0:
        pool_dir = "/proc/htc-no-such-dir"  # root writes anywhere else
    else:
        Path(env["HOME"]).chmod(0o500)
        pool_dir = ""
    done = run({**env, "HTC_POOL_DIR": pool_dir} if pool_dir else env, "echo", "ok")
    assert done.stdout == "ok\n"
    assert "cannot write the pool's state directory" in done.stderr


def test_remote_mode_starts_no_master_and_reports_the_schedd(env: dict[str, str]) -> None:
    done = run({**env, "_condor_SCHEDD_HOST": "somewhere", "_CONDOR_COLLECTOR_HOST": "cm"}, "echo", "ok")
    assert done.stdout == "ok\n"
    assert "remote mode: _condor_SCHEDD_HOST=somewhere" in done.stderr
    assert not (Path(env["HOME"]) / "master.env").exists()
    assert "schedd 'somewhere' does not answer (-- Failed to fetch ads" in done.stderr


def test_remote_mode_without_collector_says_what_to_set(env: dict[str, str]) -> None:
    done = run({**env, "_CONDOR_SCHEDD_HOST": "somewhere"}, "true")
    assert "_CONDOR_COLLECTOR_HOST is not set" in done.stderr


def test_token_from_the_environment_is_written_private(env: dict[str, str]) -> None:
    done = run(
        {**env, "_CONDOR_SCHEDD_HOST": "s", "_CONDOR_COLLECTOR_HOST": "cm", "HTC_CONDOR_TOKEN": "eyJ.x.y"}, "true"
    )
    token = Path(env["HOME"]) / ".condor" / "tokens.d" / "htc-notebook.token"
    assert token.read_text() == "eyJ.x.y\n"
    assert token.stat().st_mode & 0o777 == 0o600
    assert "no HTCondor token" not in done.stderr


def test_refused_credentials_are_named(env: dict[str, str], tmp_path: Path) -> None:
    script(
        tmp_path / "bin",
        "condor_status",
        "#!/bin/sh\necho 'AUTHENTICATE:1003:Failed to authenticate with any method' >&2\nexit 1\n",
    )
    done = run({**env, "_CONDOR_SCHEDD_HOST": "s", "_CONDOR_COLLECTOR_HOST": "cm", "HTC_CONDOR_TOKEN": "t"}, "true")
    lines = [line for line in done.stderr.splitlines() if "refused this user" in line]
    assert len(lines) == 1
    assert "collector 'cm' refused this user's credentials" in lines[0] and "HTC_CONDOR_TOKEN" in lines[0]


def test_missing_token_where_one_is_required_is_one_line(env: dict[str, str], tmp_path: Path) -> None:
    script(tmp_path / "bin", "condor_status", "#!/bin/sh\necho 'AUTHENTICATE:1003:Failed' >&2\nexit 1\n")
    done = run({**env, "_CONDOR_SCHEDD_HOST": "s", "_CONDOR_COLLECTOR_HOST": "cm"}, "true")
    warnings = [line for line in done.stderr.splitlines() if "WARNING" in line]
    assert len(warnings) == 1
    assert "requires a token" in warnings[0] and "no HTCondor token in" in warnings[0]


# An IDTOKEN's shape, for jovyan@site (the site checks the signature, not the notebook).
SITE_TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJqb3Z5YW5Ac2l0ZSIsImlzcyI6InNpdGUifQ.c2ln"  # noqa: S105
# The site's collector: it allows the token, and holds the schedd's ad (with its CCB contact).
FAKE_PING_ALLOWED = "#!/bin/sh\necho 'ADVERTISE_SCHEDD command using (AES, AES, and IDTOKENS) succeeded'\n"
FAKE_STATUS_ADVERTISED = """#!/bin/sh
touch "$HOME/asked"
echo '<172.17.0.5:9618?addrs=172.17.0.5-9618&CCBID=172.17.0.2:9618%3fsock%3dcollector#4&PrivNet=notebook-box>'
"""
# The command: it ends once the fake master runs and the fake collector has been asked.
ASKED = 'while [ ! -f "$HOME/asked" ] || [ ! -f "$HOME/master.env" ]; do sleep 0.05; done'


def test_access_point_mode_starts_its_schedd_and_says_when_the_site_has_it(env: dict[str, str], tmp_path: Path) -> None:
    script(tmp_path / "bin", "condor_ping", FAKE_PING_ALLOWED)
    script(tmp_path / "bin", "condor_status", FAKE_STATUS_ADVERTISED)
    done = run({**env, "_CONDOR_COLLECTOR_HOST": "cm", "HTC_CONDOR_TOKEN": SITE_TOKEN}, "sh", "-c", ASKED)
    assert done.returncode == 0, done.stderr
    assert "access-point mode: _CONDOR_COLLECTOR_HOST=cm and _CONDOR_SCHEDD_HOST is not set" in done.stderr
    master = (Path(env["HOME"]) / "master.env").read_text()
    assert "CONDOR_CONFIG=/etc/condor/access-point.conf\n" in master and "_CONDOR_UID_DOMAIN=site\n" in master
    ready = [line for line in done.stderr.splitlines() if "access point ready" in line]
    assert len(ready) == 1, done.stderr
    assert "collector 'cm' answered, token for jovyan@site accepted, schedd 'notebook@box' advertised" in ready[0]
    assert "access point's schedd shut down" in done.stderr


def test_access_point_without_token_starts_nothing_and_says_what_to_set(env: dict[str, str]) -> None:
    done = run({**env, "_CONDOR_COLLECTOR_HOST": "cm"}, "echo", "ok")
    assert done.stdout == "ok\n"
    errors = [line for line in done.stderr.splitlines() if "ERROR" in line]
    assert len(errors) == 1 and "access point not started: no HTCondor token in" in errors[0], done.stderr
    assert "HTC_CONDOR_TOKEN" in errors[0]
    assert not (Path(env["HOME"]) / "master.env").exists()


def test_a_collector_that_refuses_the_token_is_one_line(env: dict[str, str], tmp_path: Path) -> None:
    refused = "#!/bin/sh\necho 'ADVERTISE_SCHEDD failed!'\ntouch \"$HOME/asked\"\nexit 1\n"
    script(tmp_path / "bin", "condor_ping", refused)
    done = run({**env, "_CONDOR_COLLECTOR_HOST": "cm", "HTC_CONDOR_TOKEN": SITE_TOKEN}, "sh", "-c", ASKED)
    warnings = [line for line in done.stderr.splitlines() if "WARNING" in line]
    assert len(warnings) == 1, done.stderr
    assert "collector 'cm' refused jovyan@site" in warnings[0] and "ALLOW_ADVERTISE_SCHEDD" in warnings[0]


def test_missing_command_is_one_line(env: dict[str, str]) -> None:
    done = run({**env, "_CONDOR_SCHEDD_HOST": "x"}, "no-such-command")
    assert done.returncode == 127
    assert "cannot run 'no-such-command'" in done.stderr


def test_command_exit_code_passes_through_and_the_pool_is_shut_down(env: dict[str, str]) -> None:
    done = run(env, "sh", "-c", "exit 3")
    assert done.returncode == 3
    assert "personal pool shut down" in done.stderr


def test_sigterm_stops_command_and_pool_and_waits_for_the_pool(env: dict[str, str], tmp_path: Path) -> None:
    # The fake master takes a moment to shut down; the entrypoint must outlive it.
    script(
        tmp_path / "bin",
        "condor_master",
        '#!/bin/sh\ntouch "$HOME/master.env"\nexec python3 -c "import signal, sys, time, pathlib\n'
        "def stop(*_):\n    time.sleep(0.5); pathlib.Path(sys.argv[1]).write_text('clean'); sys.exit(0)\n"
        'signal.signal(3, stop); pathlib.Path(sys.argv[1] + \'.up\').touch(); time.sleep(60)" "$HOME/master.done"\n',
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "htc_entrypoint", "python3", "-c", "import time; time.sleep(60)"],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    up = Path(env["HOME"]) / "master.done.up"
    deadline = time.monotonic() + 10
    while not up.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGTERM)  # as tini -g passes docker stop's signal on
    _, stderr = proc.communicate(timeout=20)
    assert (Path(env["HOME"]) / "master.done").read_text() == "clean"
    assert "personal pool shut down" in stderr


def test_dead_master_is_one_line_and_the_command_goes_on(env: dict[str, str], tmp_path: Path) -> None:
    script(tmp_path / "bin", "condor_master", "#!/bin/sh\nexit 4\n")
    done = run(env, "sh", "-c", "sleep 1; echo still here")
    assert done.stdout == "still here\n"
    assert "condor_master ended before the pool was ready" in done.stderr


def test_full_state_directory_is_one_line(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    from htc_entrypoint import pool

    real = os.statvfs
    monkeypatch.setattr(os, "statvfs", lambda path: _tiny(real(path)))
    with pytest.raises(pool.PoolError, match="has 0 MB free"):
        pool.prepare(Path(env["HOME"]) / "state")


def _tiny(result: os.statvfs_result) -> os.statvfs_result:
    fields = list(result)
    fields[4] = 1  # f_bavail
    return os.statvfs_result(fields)


def test_token_variable_does_not_reach_the_command(env: dict[str, str]) -> None:
    done = run(
        {**env, "_CONDOR_SCHEDD_HOST": "s", "_CONDOR_COLLECTOR_HOST": "cm", "HTC_CONDOR_TOKEN": "eyJ.x.y"},
        "sh",
        "-c",
        'echo "[$HTC_CONDOR_TOKEN]"',
    )
    assert done.stdout == "[]\n"


def test_the_job_runs_at_once_silently_and_passes_its_exit_code(env: dict[str, str], tmp_path: Path) -> None:
    done = run({**env, **A_JOB, "_CONDOR_SCRATCH_DIR": str(tmp_path)}, "sh", "-c", "echo out; echo err >&2; exit 7")
    assert (done.returncode, done.stdout, done.stderr) == (7, "out\n", "err\n")
    assert not (Path(env["HOME"]) / "master.env").exists()  # no pool


def test_a_missing_job_command_is_one_line(env: dict[str, str]) -> None:
    done = run({**env, **A_JOB}, "no-such-command")
    assert done.returncode == 127
    assert done.stderr.count("\n") == 1 and "'no-such-command'" in done.stderr


def test_jupyter_gets_the_containers_limits_for_its_gauges_and_other_commands_do_not(env: dict[str, str]) -> None:
    script(Path(env["HOME"]).parent / "bin", "jupyter", '#!/bin/sh\necho "$MEM_LIMIT $CPU_LIMIT"\n')
    done = run(env, "start-notebook")
    assert done.returncode == 0, done.stderr
    memory, cpus = done.stdout.split()
    assert int(memory) > 0 and float(cpus) > 0
    assert run({**env, "MEM_LIMIT": "123"}, "start-notebook").stdout.split()[0] == "123"
    assert run(env, "sh", "-c", 'echo "[${MEM_LIMIT-}${CPU_LIMIT-}]"').stdout == "[]\n"
