"""Who the notebook runs as: a named, unprivileged user.

Root hands over to NB_USER (jupyter/docker-stacks' variables); an arbitrary uid
(`--user 12345:0`, as OpenShift does) gets a passwd entry.
"""

import grp
import os
import pwd
import subprocess
from collections.abc import MutableMapping
from pathlib import Path

from . import log

IMAGE_USER = "jovyan"
DEFAULTS = {"NB_UID": 1000, "NB_GID": 100}
SUDOERS = Path("/etc/sudoers.d/notebook")
PASSWD_DIR = Path("/tmp/htc-notebook")
YES = ("1", "yes", "true")


def _number(env: MutableMapping[str, str], name: str) -> int:
    """A uid or gid from the environment, or its default with one line saying why."""
    value = env.get(name, "").strip()
    if not value:
        return DEFAULTS[name]
    if value.isdigit() and int(value) > 0:
        return int(value)
    log.error(f"{name}={value!r} is not a number above 0: using {DEFAULTS[name]}")
    return DEFAULTS[name]


def _run(*argv: str, also_fine: tuple[int, ...] = ()) -> None:
    done = subprocess.run(argv, check=False, capture_output=True, text=True)
    if done.returncode and done.returncode not in also_fine:
        raise subprocess.CalledProcessError(done.returncode, argv, done.stdout, done.stderr)


def hand_over(home: Path, old_uid: int, uid: int, gid: int) -> None:
    """Give the files of the image's user in the home directory to the new uid and gid."""
    for path in [home, *home.rglob("*")]:
        if path.lstat().st_uid == old_uid:
            os.lchown(path, uid, gid)


def become_notebook_user(env: MutableMapping[str, str]) -> None:
    """Started as root: make NB_USER (NB_UID, NB_GID) the image's user, grant sudo if asked, drop root."""
    name = env.get("NB_USER", "").strip() or IMAGE_USER
    uid, gid = _number(env, "NB_UID"), _number(env, "NB_GID")
    home = Path("/home") / name
    try:
        try:
            grp.getgrgid(gid)
        except KeyError:
            _run("groupadd", "--gid", str(gid), name)
        if not _exists(name):
            _run("usermod", "--login", name, "--home", str(home), IMAGE_USER)
            old_home = Path("/home") / IMAGE_USER
            if not home.exists() and old_home.is_dir():
                try:
                    old_home.rename(home)
                except OSError:  # an image layer's directory (overlayfs: EXDEV): link to it
                    home.symlink_to(old_home)
        entry = pwd.getpwnam(name)
        if (entry.pw_uid, entry.pw_gid) != (uid, gid):
            # 12: it changed the ids but not the home's owner (a link to the image's home): done below.
            _run("usermod", "--uid", str(uid), "--gid", str(gid), name, also_fine=(12,))
            hand_over(home.resolve(), entry.pw_uid, uid, gid)
        if env.get("GRANT_SUDO", "").strip().lower() in YES:
            SUDOERS.write_text(f"{name} ALL=(ALL) NOPASSWD:ALL\n")
            SUDOERS.chmod(0o440)
            log.info(f"GRANT_SUDO: {name} may use sudo without a password")
        else:
            SUDOERS.unlink(missing_ok=True)
        os.initgroups(name, gid)
        os.setgid(gid)
        os.setuid(uid)
    except (OSError, subprocess.CalledProcessError) as exc:
        detail = exc.stderr.strip() if isinstance(exc, subprocess.CalledProcessError) else exc.strerror
        raise SystemExit(f"[htc-notebook] ERROR: cannot switch to user {name} ({uid}:{gid}): {detail}") from exc
    env.update(HOME=str(home), USER=name, LOGNAME=name, NB_USER=name, NB_UID=str(uid), NB_GID=str(gid))
    if Path.cwd() == Path("/home") / IMAGE_USER or not Path.cwd().exists():
        os.chdir(home)
    log.info(f"started as root: running as {name} ({uid}:{gid})")


def provide_passwd_entry(env: MutableMapping[str, str]) -> None:
    """An arbitrary uid without a passwd entry: give it one (HTCondor needs a user name).

    The entry lives in a private passwd file read through nss_wrapper, so /etc/passwd
    stays read-only and programs that run as root never see it.
    """
    uid, gid = os.getuid(), os.getgid()
    name = env.get("NB_USER", "").strip() or IMAGE_USER
    if env.get("HOME", "/") == "/":
        env["HOME"] = str(Path("/home") / IMAGE_USER)
    others = [line for line in Path("/etc/passwd").read_text().splitlines() if line and line.split(":")[0] != name]
    try:
        PASSWD_DIR.mkdir(mode=0o755, exist_ok=True)
        passwd = PASSWD_DIR / "passwd"
        passwd.write_text("\n".join([*others, f"{name}:x:{uid}:{gid}:notebook user:{env['HOME']}:/bin/bash"]) + "\n")
    except OSError as exc:
        log.error(
            f"uid {uid} has no passwd entry and {PASSWD_DIR} is not writable ({exc.strerror}): HTCondor will fail"
        )
        return
    env["LD_PRELOAD"] = " ".join(filter(None, [env.get("LD_PRELOAD", ""), "libnss_wrapper.so"]))
    env.update(NSS_WRAPPER_PASSWD=str(passwd), NSS_WRAPPER_GROUP="/etc/group", USER=name, LOGNAME=name)
    log.info(f"uid {uid} has no passwd entry: it is {name} (home {env['HOME']})")


def _exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def settle(env: MutableMapping[str, str]) -> None:
    """Make sure the notebook runs as a named, unprivileged user."""
    if os.getuid() == 0:
        if _exists(IMAGE_USER) or _exists(env.get("NB_USER", "").strip() or IMAGE_USER):
            become_notebook_user(env)
        else:
            log.info(f"started as root, and neither {IMAGE_USER} nor NB_USER exists here: staying root")
        return
    try:
        pwd.getpwuid(os.getuid())
    except KeyError:
        provide_passwd_entry(env)


def home_problem(env: MutableMapping[str, str]) -> str | None:
    """One line when the home directory cannot hold the notebook's files; None when it can."""
    home = env.get("HOME") or str(Path.home())
    if os.access(home, os.W_OK | os.X_OK):
        return None
    return (
        f"home directory {home} is not writable by uid {os.getuid()}: mount a writable volume there "
        f"(docker run -v NAME:{home}) or make it writable; no personal pool, and Jupyter keeps its "
        "runtime files in /tmp"
    )
