"""What HTCondor and HTMap report, turned into what the dashboard shows: plain data, no HTCondor."""

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

# HTCondor's JobStatus numbers.
JOB_STATES = {1: "idle", 2: "running", 3: "removed", 4: "completed", 5: "held", 6: "transferring", 7: "suspended"}
# HTMap's component statuses, in the five groups a map's bar shows (and "removed").
MAP_STATES = ("idle", "running", "completed", "held", "errored")
COMPONENT_GROUP = {
    "UNKNOWN": "idle",
    "UNMATERIALIZED": "idle",
    "IDLE": "idle",
    "RUNNING": "running",
    "SUSPENDED": "running",
    "COMPLETED": "completed",
    "HELD": "held",
    "ERRORED": "errored",
    "REMOVED": "removed",
}
# HoldReasonCode in plain words (HTCondor's table of hold codes); the schedd's own text follows.
HOLD_WORDS = {
    1: "You (or an administrator) held it.",
    3: "A policy expression of the job or the pool held it.",
    6: "The job's program could not be started.",
    7: "The job's output or error file could not be opened.",
    12: "A file to send back from the job could not be transferred.",
    13: "A file for the job could not be transferred to it.",
    14: "The job's initial working directory is not reachable.",
    21: "The job's own periodic_hold expression held it.",
    26: "The job asked for more memory than it may use, or used more than it asked for.",
    34: "The job used more memory than it asked for.",
    35: "The job's input or output file list has an error.",
    46: "The job used more disk than it asked for.",
}
# How many jobs of one state the page lists: the counts are always whole.
JOBS_LISTED = 50
TRACEBACK_HEAD = 12


def hold_words(code: int | None, reason: str | None) -> str:
    """A hold's reason in plain words, with the schedd's text after it."""
    words = HOLD_WORDS.get(code or 0, "HTCondor held it.")
    return f"{words} ({reason})" if reason else words


def duration(seconds: float) -> str:
    """A short, readable time span: 42 s, 3 min 5 s, 2 h 10 min, 3 d 4 h."""
    seconds = max(0, int(seconds))
    minutes, sec = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    if minutes:
        return f"{minutes} min {sec} s"
    return f"{sec} s"


def pool_view(slots: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Slots, CPUs and memory (MiB) in use and free, per machine, from startd ads."""
    machines: dict[str, dict[str, Any]] = {}
    for slot in slots:
        name = str(slot.get("Machine") or slot.get("Name") or "?")
        row = machines.setdefault(
            name, {"machine": name, "slots": 0, "cpus": 0, "cpus_free": 0, "memory": 0, "memory_free": 0}
        )
        kind = slot.get("SlotType", "Static")
        cpus, memory = int(slot.get("Cpus") or 0), int(slot.get("Memory") or 0)
        if kind == "Partitionable":
            # Its Cpus and Memory are what is left; its dynamic slots hold the rest.
            row["cpus"] += int(slot.get("TotalSlotCpus") or cpus)
            row["memory"] += int(slot.get("TotalSlotMemory") or memory)
            row["cpus_free"] += cpus
            row["memory_free"] += memory
        elif kind == "Dynamic":
            row["slots"] += 1
        else:
            row["slots"] += 1
            row["cpus"] += cpus
            row["memory"] += memory
            if slot.get("State") == "Unclaimed":
                row["cpus_free"] += cpus
                row["memory_free"] += memory
    for row in machines.values():
        row["slots"] = max(row["slots"], 1)
        row["cpus_used"] = row["cpus"] - row["cpus_free"]
        row["memory_used"] = row["memory"] - row["memory_free"]
    return sorted(machines.values(), key=lambda row: row["machine"])


def job_view(ad: Mapping[str, Any], now: float) -> dict[str, Any]:
    """One job: its id, state, batch name and how long it has been in that state."""
    state = JOB_STATES.get(int(ad.get("JobStatus") or 0), "unknown")
    since = ad.get("EnteredCurrentStatus") or ad.get("QDate") or now
    verb = {"idle": "waited", "running": "run", "held": "held"}.get(state, "in this state")
    row = {
        "id": f"{ad.get('ClusterId')}.{ad.get('ProcId')}",
        "state": state,
        "batch": str(ad.get("JobBatchName") or ""),
        "for": f"{verb} {duration(now - float(since))}",
    }
    if state == "held":
        row["reason"] = hold_words(ad.get("HoldReasonCode"), ad.get("HoldReason"))
    return row


def jobs_view(ads: Iterable[Mapping[str, Any]], now: float) -> dict[str, Any]:
    """My jobs by state: every count, and the first JOBS_LISTED of each state (held ones first)."""
    rows = sorted((job_view(ad, now) for ad in ads), key=lambda row: [int(n) for n in row["id"].split(".")])
    counts = Counter(row["state"] for row in rows)
    order = ["held", "running", "idle", *sorted(set(counts) - {"held", "running", "idle"})]
    return {
        "total": len(rows),
        "states": [
            {
                "state": state,
                "count": counts[state],
                "jobs": [row for row in rows if row["state"] == state][:JOBS_LISTED],
            }
            for state in order
            if counts[state]
        ],
    }


def map_counts(statuses: Iterable[str]) -> dict[str, int]:
    """Components per state group, from HTMap's component statuses."""
    counts = Counter(COMPONENT_GROUP.get(str(status), "idle") for status in statuses)
    return {state: counts[state] for state in (*MAP_STATES, "removed") if counts[state] or state in MAP_STATES}


def map_view(
    tag: str,
    statuses: list[str],
    holds: Mapping[int, tuple[int, str]],
    first_error: tuple[int, str, list[str]] | None,
) -> dict[str, Any]:
    """One map: counts per state, its held components' reasons and its first error, if any."""
    view: dict[str, Any] = {"tag": tag, "components": len(statuses), "counts": map_counts(statuses)}
    view["holds"] = [
        {"component": component, "reason": hold_words(code, reason)}
        for component, (code, reason) in sorted(holds.items())[:JOBS_LISTED]
    ]
    if first_error is not None:
        component, message, trace = first_error
        view["error"] = {"component": component, "message": message, "traceback": trace[:TRACEBACK_HEAD]}
    return view
