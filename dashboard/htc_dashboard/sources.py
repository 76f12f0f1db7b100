"""What the dashboard reads for each update.

The pool from the collector, my jobs in one schedd query, my maps from their own event logs and
files (HTMap's state: no schedd query).
"""

import os
import pwd
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import classad2 as classad
import htcondor2 as htcondor
import htmap
from htc_entrypoint import health, mode

from htc_dashboard import model

JOB_ATTRS = ["ClusterId", "ProcId", "Owner", "JobStatus", "JobBatchName", "QDate", "EnteredCurrentStatus"]
JOB_ATTRS += ["HoldReason", "HoldReasonCode"]
# A job's story: read when asked, never at an update.
STORY_ATTRS = [*JOB_ATTRS, "Cmd", "Args", "Arguments", "RemoteHost", "LastRemoteHost", "UserLog", "Out", "Err", "Iwd"]
STORY_ATTRS += ["ExitCode", "ExitBySignal", "ExitSignal", "RequestCpus", "RequestGPUs", "RequestMemory", "RequestDisk"]
STORY_ATTRS += ["MemoryUsage", "DiskUsage", "RemoteUserCpu", "RemoteSysCpu", "RemoteWallClockTime"]
# What the page may do to several jobs at once, and how it says it.
JOB_ACTIONS = {
    "hold": (htcondor.JobAction.Hold, "held"),
    "release": (htcondor.JobAction.Release, "released"),
    "remove": (htcondor.JobAction.Remove, "removed"),
}
HISTORY_ATTRS = ["ClusterId", "ProcId", "JobStatus", "JobBatchName", "CompletionDate", "EnteredCurrentStatus"]
HISTORY_ATTRS += ["ExitCode", "ExitBySignal", "ExitSignal", "RemoteWallClockTime", "LastRemoteHost"]
# How long a refusal of every user's jobs holds before they are asked for again.
EVERYONE_REFUSED_FOR = 60.0
SLOT_ATTRS = ["Machine", "Name", "SlotType", "State", "Cpus", "Memory", "TotalSlotCpus", "TotalSlotMemory"]


def first_error(found: htmap.Map, errored: list[int]) -> tuple[int, str, list[str]] | None:
    """The first errored component's message and its last frames, most recent last."""
    if not errored:
        return None
    error = found._load_error(errored[0])
    trace = []
    for frame in list(error.stack_summary)[-model.TRACEBACK_HEAD // 2 :]:
        trace.append(f'File "{frame.filename}", line {frame.lineno}, in {frame.name}')
        if frame.line:
            trace.append(f"    {frame.line.strip()}")
    return errored[0], str(error.exception_msg), trace


class NoSuchMap(LookupError):
    """No map of mine has this tag."""


class NoSuchJob(LookupError):
    """No job of mine has this id, in the queue or in the schedd's history."""


def plain(ad: classad.ClassAd, keys: list[str]) -> dict[str, Any]:
    """An ad's values, expressions evaluated (RequestDisk is one), undefined ones left out."""
    values = {}
    for key in keys:
        if key in ad:
            value = ad.eval(key)
            # classad2.Value (Undefined, Error) is an IntEnum: not a number to show.
            if isinstance(value, (bool, int, float, str)) and not isinstance(value, classad.Value):
                values[key] = value
    return values


def job_file(ad: dict[str, Any], key: str) -> Path | None:
    """A job's log or stream file, as the notebook sees it (relative to the job's Iwd)."""
    name = ad.get(key)
    if not name or name == "/dev/null":
        return None
    return Path(ad.get("Iwd") or "/", name)


def job_events(path: Path | None, cluster: int, proc: int) -> Iterator[tuple[str, float, dict[str, Any]]]:
    """One job's events from its event log (a map's log holds every component's)."""
    if path is None or not path.is_file():
        return
    for event in htcondor.JobEventLog(str(path)).events(0):
        if event.cluster == cluster and event.proc == proc:
            yield event.type.name, event.timestamp, dict(event.items())


def tail(path: Path) -> str | None:
    """The end of a stream file; None where the notebook cannot read it (not back yet)."""
    try:
        with open(path, "rb") as file:
            file.seek(max(0, file.seek(0, os.SEEK_END) - model.TAIL_BYTES))
            return file.read().decode("utf-8", "replace")
    except OSError:
        return None


def history_since() -> classad.ExprTree:
    """Where a read of the schedd's history stops: jobs that left the queue HISTORY_DAYS ago."""
    return classad.ExprTree(f"EnteredCurrentStatus < {int(time.time() - model.HISTORY_DAYS * 86400)}")


def better_analyze(job: str) -> str:
    """`condor_q -better-analyze` of one job: HTCondor's own matchmaking analysis."""
    done = subprocess.run(["condor_q", "-better-analyze", job], capture_output=True, text=True, timeout=60, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"condor_q -better-analyze {job}: {(done.stderr or done.stdout).strip()[-300:]}")
    return done.stdout


class Sources:
    """HTCondor and HTMap, as this notebook's user sees them; kept between updates."""

    def __init__(self) -> None:
        self.user = pwd.getpwuid(os.getuid()).pw_name
        self.schedd_queries = 0
        self._schedd: htcondor.Schedd | None = None
        # Kept, so that each update reads only the new end of each map's event log.
        self._maps: dict[str, htmap.Map] = {}
        self._errors: dict[tuple[str, int], tuple[int, str, list[str]]] = {}
        # Until when every user's jobs are not asked for again: the schedd refused them.
        self._everyone_refused_until = 0.0

    def mine(self) -> str:
        """The constraint for my jobs (=?=: ClassAd's == ignores case)."""
        return f"Owner =?= {classad.quote(self.user)}"

    def schedd(self) -> htcondor.Schedd:
        """HTMap's schedd (located through the collector once, not at every update)."""
        if self._schedd is None:
            self._schedd = htmap.condor.get_schedd()
        return self._schedd

    def jobs(self, everyone: bool = False) -> list[dict[str, Any]]:
        """My jobs, as condor_q shows them by default (everyone's: condor_q -allusers): one query."""
        self.schedd_queries += 1
        try:
            ads = self.schedd().query(constraint="true" if everyone else self.mine(), projection=JOB_ATTRS)
        except Exception:
            self._schedd = None  # located again next time: it may have moved or restarted
            raise
        return [{key: ad.get(key) for key in JOB_ATTRS} for ad in ads]

    def slots(self) -> list[dict[str, Any]]:
        """Every slot the collector knows."""
        ads = htcondor.Collector().query(htcondor.AdType.Startd, projection=SLOT_ATTRS)
        return [{key: ad.get(key) for key in SLOT_ATTRS} for ad in ads]

    def map(self, tag: str) -> htmap.Map:
        """One of my maps, by tag (NoSuchMap when there is none)."""
        if tag not in htmap.get_tags():
            self._maps.pop(tag, None)
            raise NoSuchMap(tag)
        found = self._maps.get(tag)
        # A map removed and made again under the same tag is another map (another folder).
        if found is None or found._map_dir != htmap.mapping.tag_to_map_dir(tag):
            found = self._maps[tag] = htmap.load(tag)
        return found

    def map_view(self, tag: str) -> dict[str, Any]:
        """One map's progress, holds and first error."""
        found = self.map(tag)
        statuses = [str(status) for status in found.component_statuses]
        errored = [component for component, status in enumerate(statuses) if status == "ERRORED"]
        error = None
        if errored:
            key = (str(found._map_dir), errored[0])
            if key not in self._errors:
                self._errors[key] = first_error(found, errored)  # type: ignore[assignment]
            error = self._errors[key]
        holds = {component: (hold.code, hold.reason) for component, hold in found.holds.items()}
        return model.map_view(tag, statuses, holds, error)

    def maps(self, problems: list[str]) -> list[dict[str, Any]]:
        """Every map's view; one that cannot be read is a line in `problems`, the others show."""
        tags = sorted(htmap.get_tags())
        self._maps = {tag: found for tag, found in self._maps.items() if tag in tags}
        views = []
        for tag in tags:
            try:
                views.append(self.map_view(tag))
            except Exception as exc:
                self._maps.pop(tag, None)
                problems.append(f"Map {tag} could not be read: {exc}")
        return views

    def component_job(self, tag: str, component: int) -> tuple[int, int]:
        """The job that runs or ran a map's component last (a rerun is a new job), from the map's event log."""
        found = self.map(tag)
        count = len(found.component_statuses)  # reads the log's new end, as the snapshot does
        if component >= count:
            raise NoSuchJob(f"map {tag} has {count} components (0 to {count - 1})")
        # HTMap's own record, job id -> its items (one; a chunk's several; an int in older maps).
        ran = found._state._jobid_to_component.items()
        jobs = [job for job, items in ran if component in (items if isinstance(items, list) else [items])]
        if not jobs:
            raise NoSuchJob(f"component {component} of {tag} has no job yet")
        return max(jobs)

    def story(self, cluster: int, proc: int) -> dict[str, Any]:
        """One of my jobs, from the queue or else the schedd's history: its story (model.story_view)."""
        job = f"{cluster}.{proc}"
        constraint = f"ClusterId == {cluster} && ProcId == {proc} && {self.mine()}"
        ads = self.schedd().query(constraint=constraint, projection=STORY_ATTRS)
        if not ads:
            ads = self.schedd().history(constraint, STORY_ATTRS, match=1, since=history_since())
        if not ads:
            raise NoSuchJob(job)
        ad = plain(ads[0], STORY_ATTRS)
        events = job_events(job_file(ad, "UserLog"), cluster, proc)
        # The streams the job keeps; a running job's come back when it ends (None until then).
        files = {"stdout": job_file(ad, "Out"), "stderr": job_file(ad, "Err")}
        streams = {name: tail(path) for name, path in files.items() if path is not None}
        why = None
        if ad.get("JobStatus") == 1:
            try:
                why = model.why_idle(better_analyze(job))
            except Exception as exc:
                why = [f"HTCondor's analysis failed: {exc}"]
        return model.story_view(job, ad, events, why, streams)

    def history(self, page: int) -> dict[str, Any]:
        """My finished jobs of the last days, newest first, one page (model.HISTORY_PAGE) of them."""
        now = time.time()
        size = model.HISTORY_PAGE
        ads = self.schedd().history(
            self.mine(),
            HISTORY_ATTRS,
            match=size * (page + 1) + 1,  # one more: whether there is a next page
            since=history_since(),
        )
        rows = [plain(ad, HISTORY_ATTRS) for ad in ads]
        return model.history_view(rows[size * page : size * (page + 1)], now, page, more=len(rows) > size * (page + 1))

    def snapshot(self, everyone: bool = False) -> dict[str, Any]:
        """Everything the page shows; a part that cannot be read says so in one line.

        With `everyone`, the jobs are every user's (the page asked for them).
        """
        now = time.time()
        chosen = mode.decide(os.environ)  # as the entrypoint decided it
        if chosen.personal:
            where = ("personal", "the personal pool's schedd")
        elif chosen.access_point:
            where = ("access point", f"this notebook's schedd at {chosen.collector}")
        else:
            where = ("remote", chosen.schedd)
        view: dict[str, Any] = {
            "user": self.user,
            "mode": where[0],
            "schedd": where[1],
            "problems": health.problems(),
        }
        try:
            view["machines"] = model.pool_view(self.slots())
        except Exception as exc:
            view["machines"] = []
            view["problems"].append(f"The collector does not answer: {exc}")
        refused = time.monotonic() < self._everyone_refused_until
        view["everyone"] = everyone and not refused
        if everyone and refused:
            view["problems"].append("The schedd did not show every user's jobs lately: yours are shown.")
        try:
            try:
                ads = self.jobs(view["everyone"])
            except Exception as exc:
                if not view["everyone"]:
                    raise
                # The site may keep others' jobs from its users: say so, show mine, and do not
                # ask again for a minute (a schedd that does not answer would cost two waits).
                self._everyone_refused_until = time.monotonic() + EVERYONE_REFUSED_FOR
                view["problems"].append(f"The schedd does not show every user's jobs: {exc}")
                view["everyone"] = False
                ads = self.jobs()
            view["jobs"] = model.job_rows(ads, now)  # every row: each page filters its own
        except Exception as exc:
            view["jobs"] = None
            view["problems"].append(f"The schedd ({view['schedd']}) does not answer: {exc}")
        try:
            view["maps"] = self.maps(view["problems"])
        except Exception as exc:
            view["maps"] = []
            view["problems"].append(f"HTMap's maps could not be read: {exc}")
        view["schedd_queries"] = self.schedd_queries
        view["updated"] = time.strftime("%H:%M:%S", time.localtime(now))
        return view

    def act_on_jobs(self, action: str, ids: list[str]) -> str:
        """Hold, release or remove some of my jobs, by id, at once; what was done."""
        if action not in JOB_ACTIONS:
            raise ValueError(f"unknown action {action!r}: hold, release or remove")
        jobs = sorted({tuple(int(n) for n in str(job).split(".", 1)) for job in ids})  # ValueError if not N.N
        if not jobs or any(len(job) != 2 for job in jobs):
            raise ValueError("select jobs first (ids such as 12.0)")
        which = " || ".join(f"ClusterId == {cluster} && ProcId == {proc}" for cluster, proc in jobs)
        kind, done = JOB_ACTIONS[action]
        # The version-2 bindings take a reason as (text, code); a bare string is dropped.
        reason = ("held from the dashboard", None) if action == "hold" else None
        result = self.schedd().act(kind, f"{self.mine()} && ({which})", reason=reason)  # type: ignore[arg-type]
        return f"{done} {int((result or {}).get('TotalSuccess', 0))} of {len(jobs)} selected job(s)"

    def submit(self, path: str) -> str:
        """condor_submit a submit file (a path from the home), in its own folder; what it submitted."""
        file = Path.home() / Path(path.strip()).expanduser()
        if not path.strip() or not file.is_file():
            raise ValueError(f"{path.strip() or 'a path'}: no such submit file (give its path from your home)")
        done = subprocess.run(
            ["condor_submit", "-terse", file.name],
            cwd=file.parent,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if done.returncode != 0:
            said = [line.strip() for line in (done.stderr + done.stdout).splitlines() if line.strip()]
            # HTCondor's own message, in one line: its first error (condor_submit submits nothing then).
            raise ValueError(next((line for line in said if line.startswith("ERROR")), said[-1] if said else "failed"))
        # -terse: a line "12.0 - 12.2" per cluster.
        ranges = [line.split(" - ") for line in done.stdout.splitlines() if " - " in line]
        count = sum(int(last.split(".")[1]) - int(first.split(".")[1]) + 1 for first, last in ranges)
        clusters = ", ".join(first.split(".")[0] for first, _ in ranges)
        return f"submitted {path.strip()}: {count} job(s) in cluster {clusters}"

    def act(self, tag: str, action: str) -> str:
        """Release a map's held components, rerun its errored ones, or remove it; what was done."""
        found = self.map(tag)
        if action == "release":
            held = sorted(found.holds)
            found.release()
            return f"released {len(held)} held component(s) of {tag}"
        if action == "rerun":
            errored = [c for c, s in enumerate(found.component_statuses) if str(s) == "ERRORED"]
            if errored:
                found.rerun(errored)
            self._errors = {key: value for key, value in self._errors.items() if key[0] != str(found._map_dir)}
            return f"reran {len(errored)} errored component(s) of {tag}"
        if action == "remove":
            found.remove()
            self._maps.pop(tag, None)
            return f"removed {tag}"
        raise ValueError(f"unknown action {action!r}: release, rerun or remove")
