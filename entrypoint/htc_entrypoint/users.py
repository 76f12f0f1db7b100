"""Who the notebook runs as: a named, unprivileged user.

Root hands over to NB_USER (jupyter/docker-stacks' variables); an arbitrary uid
(`--user 12345:0`, as OpenShift does) gets a passwd entry.
"""

import grp
import os
import pwd
import shlex
import subprocess
from collections.abc import MutableMapping
from dataclasses import dataclass
from pathlib import Path

from . import log

IMAGE_USER = "jovyan"
DEFAULTS = {"NB_UID": 1000, "NB_GID": 100}
USERS_GID = 100
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


@dataclass(frozen=True)
class Account:
    """The user a root start hands over to."""

    name: str
    uid: int
    gid: int
    home: Path


def _chown(env: MutableMapping[str, str], what: str, path: str, account: Account) -> None:
    """CHOWN_HOME / CHOWN_EXTRA: give `path` to the notebook user, with the variable's *_OPTS."""
    opts = env.get(f"{what}_OPTS", "")
    try:
        _run("chown", *shlex.split(opts), f"{account.uid}:{account.gid}", path)
    except (ValueError, subprocess.CalledProcessError) as exc:
        detail = exc.stderr.strip() if isinstance(exc, subprocess.CalledProcessError) else str(exc)
        log.error(f"{what}: cannot give {path} to {account.name} ({detail}): check {what} and {what}_OPTS")
        return
    log.info(f"{what}: {path} is {account.name}'s ({account.uid}:{account.gid}{', ' + opts if opts else ''})")


def _with_home(line: str, name: str, home: Path) -> str:
    """A passwd line, with `name`'s home directory set to `home`."""
    fields = line.split(":")
    if len(fields) == 7 and fields[0] == name:
        fields[5] = str(home)
    return ":".join(fields)


def root_account() -> Account:
    """NB_USER=root (docker-stacks' way for rootless engines): root, with the image's home as /home/root."""
    home = Path("/home/root")
    try:
        if not home.exists():
            # A copy that root owns; the image's home stays as it is.
            _run("cp", "-a", "--no-preserve=ownership", str(Path("/home") / IMAGE_USER), str(home))
        # usermod refuses while root runs this very process: root's passwd entry, edited.
        passwd = Path("/etc/passwd")
        lines = passwd.read_text().splitlines()
        passwd.write_text("".join(_with_home(line, "root", home) + "\n" for line in lines))
    except (OSError, subprocess.CalledProcessError) as exc:
        detail = exc.stderr.strip() if isinstance(exc, subprocess.CalledProcessError) else exc.strerror
        log.fatal(f"NB_USER=root: cannot make {home}: {detail}")
    log.info(f"NB_USER=root: running as root, home {home}")
    return Account("root", 0, 0, home)


def refit(env: MutableMapping[str, str]) -> Account:
    """Started as root: make NB_USER (NB_UID, NB_GID, NB_GROUP) the image's user; CHOWN_*, GRANT_SUDO."""
    name = env.get("NB_USER", "").strip() or IMAGE_USER
    if name == "root":
        if env.get("NB_UID", "0").strip() not in ("", "0") or env.get("NB_GID", "0").strip() not in ("", "0"):
            log.fatal("NB_USER=root needs NB_UID=0 and NB_GID=0 (or neither set)")
        return root_account()
    uid, gid = _number(env, "NB_UID"), _number(env, "NB_GID")
    home = Path("/home") / name
    try:
        if not _exists(name):
            _run("usermod", "--login", name, "--home", str(home), IMAGE_USER)
            old_home = Path("/home") / IMAGE_USER
            if not home.exists() and old_home.is_dir():
                try:
                    old_home.rename(home)
                except OSError:  # an image layer's directory (overlayfs: EXDEV): link to it
                    home.symlink_to(old_home)
            log.info(f"Updated the {IMAGE_USER} user: username {IMAGE_USER} -> {name}, home dir {old_home} -> {home}")
        entry = pwd.getpwnam(name)
        if (entry.pw_uid, entry.pw_gid) != (uid, gid):
            group = env.get("NB_GROUP", "").strip()
            if entry.pw_gid != gid and (group or not _group_exists(gid)):
                # --non-unique: NB_GROUP names a gid that may have a name already.
                _run("groupadd", "--force", "--non-unique", "--gid", str(gid), group or name)
            # 12: it changed the ids but not the home's owner (a link to the image's home): done below.
            _run("usermod", "--uid", str(uid), "--gid", str(gid), name, also_fine=(12,))
            if gid != USERS_GID:
                # Files the image gives group users (the venv) stay the user's to change.
                _run("usermod", "--append", "--groups", str(USERS_GID), name)
            hand_over(home.resolve(), entry.pw_uid, uid, gid)
            log.info(f"Updated {name}'s UID:GID to {uid}:{gid}")
        account = Account(name, uid, gid, home)
        if env.get("CHOWN_HOME", "").strip().lower() in YES:
            _chown(env, "CHOWN_HOME", str(home), account)
        for path in filter(None, (p.strip() for p in env.get("CHOWN_EXTRA", "").split(","))):
            _chown(env, "CHOWN_EXTRA", path, account)
        if env.get("GRANT_SUDO", "").strip().lower() in YES:
            SUDOERS.write_text(f"{name} ALL=(ALL) NOPASSWD:ALL\n")
            SUDOERS.chmod(0o440)
            log.info(f"GRANT_SUDO: {name} may use sudo without a password")
        else:
            SUDOERS.unlink(missing_ok=True)
    except (OSError, subprocess.CalledProcessError) as exc:
        detail = exc.stderr.strip() if isinstance(exc, subprocess.CalledProcessError) else exc.strerror
        log.fatal(f"cannot make user {name} ({uid}:{gid}): {detail}")
    return account


def drop_root(account: Account, env: MutableMapping[str, str]) -> None:
    """Become the notebook user for good."""
    try:
        os.initgroups(account.name, account.gid)
        os.setgid(account.gid)
        os.setuid(account.uid)
    except OSError as exc:
        log.fatal(f"cannot switch to user {account.name} ({account.uid}:{account.gid}): {exc.strerror}")
    home = str(account.home)
    if account.uid == 0:
        env.update(HOME=home, USER="root", LOGNAME="root", NB_USER="root", NB_UID="0", NB_GID="0")
        os.chdir(home)
        return
    env.update(HOME=home, USER=account.name, LOGNAME=account.name, NB_USER=account.name)
    env.update(NB_UID=str(account.uid), NB_GID=str(account.gid))
    if Path.cwd() == Path("/home") / IMAGE_USER or not Path.cwd().exists():
        os.chdir(home)
    log.info(f"started as root: running as {account.name} ({account.uid}:{account.gid})")


def warn_root_only(env: MutableMapping[str, str]) -> None:
    """One line naming the variables set for a root start that this start (not root) cannot honour."""
    me = env.get("USER") or _name_of(os.getuid())
    changed = {
        "NB_USER": env.get("NB_USER", IMAGE_USER).strip() not in ("", IMAGE_USER, me),
        "NB_UID": env.get("NB_UID", "").strip() not in ("", str(DEFAULTS["NB_UID"]), str(os.getuid())),
        "NB_GID": env.get("NB_GID", "").strip() not in ("", str(DEFAULTS["NB_GID"]), str(os.getgid())),
        "NB_GROUP": bool(env.get("NB_GROUP", "").strip()),
        "GRANT_SUDO": env.get("GRANT_SUDO", "").strip().lower() in YES,
        "CHOWN_HOME": env.get("CHOWN_HOME", "").strip().lower() in YES,
        "CHOWN_EXTRA": bool(env.get("CHOWN_EXTRA", "").strip()),
    }
    ignored = [name for name, is_set in changed.items() if is_set]
    if ignored:
        log.warn(
            f"{', '.join(ignored)} {'needs' if len(ignored) == 1 else 'need'} a root start "
            f"(docker run --user root): ignored, running as uid {os.getuid()}"
        )


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


def _name_of(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return ""


def _group_exists(gid: int) -> bool:
    try:
        grp.getgrgid(gid)
    except KeyError:
        return False
    return True


def _exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def settle(env: MutableMapping[str, str]) -> Account | None:
    """Make sure the notebook will run as a named, unprivileged user; the account to drop root to, if any."""
    if os.getuid() == 0:
        if _exists(IMAGE_USER) or _exists(env.get("NB_USER", "").strip() or IMAGE_USER):
            return refit(env)
        log.info(f"started as root, and neither {IMAGE_USER} nor NB_USER exists here: staying root")
        return None
    try:
        pwd.getpwuid(os.getuid())
    except KeyError:
        provide_passwd_entry(env)
    warn_root_only(env)
    return None


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
