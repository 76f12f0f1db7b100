"""What the dashboard reads for each update.

The pool from the collector, my jobs in one schedd query, my maps from their own event logs and
files (HTMap's state: no schedd query).
"""

import os
import pwd
import time
from typing import Any

import classad2 as classad
import htcondor2 as htcondor
import htmap
from htc_entrypoint import health, mode

from htc_dashboard import model

JOB_ATTRS = ["ClusterId", "ProcId", "JobStatus", "JobBatchName", "QDate", "EnteredCurrentStatus"]
JOB_ATTRS += ["HoldReason", "HoldReasonCode"]
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


class Sources:
    """HTCondor and HTMap, as this notebook's user sees them; kept between updates."""

    def __init__(self) -> None:
        self.user = pwd.getpwuid(os.getuid()).pw_name
        self.schedd_queries = 0
        self._schedd: htcondor.Schedd | None = None
        # Kept, so that each update reads only the new end of each map's event log.
        self._maps: dict[str, htmap.Map] = {}
        self._errors: dict[tuple[str, int], tuple[int, str, list[str]]] = {}

    def schedd(self) -> htcondor.Schedd:
        """HTMap's schedd (located through the collector once, not at every update)."""
        if self._schedd is None:
            self._schedd = htmap.condor.get_schedd()
        return self._schedd

    def jobs(self) -> list[dict[str, Any]]:
        """My jobs, as condor_q shows them by default: one query."""
        self.schedd_queries += 1
        try:
            ads = self.schedd().query(constraint=f"Owner == {classad.quote(self.user)}", projection=JOB_ATTRS)
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

    def snapshot(self) -> dict[str, Any]:
        """Everything the page shows; a part that cannot be read says so in one line."""
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
        try:
            view["jobs"] = model.jobs_view(self.jobs(), now)
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
