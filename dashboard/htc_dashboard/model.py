"""What HTCondor and HTMap report, turned into what the dashboard shows: plain data, no HTCondor."""

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
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
    """One job: its id, state, batch name and how long it has been in that state (since when)."""
    state = JOB_STATES.get(int(ad.get("JobStatus") or 0), "unknown")
    since = float(ad.get("EnteredCurrentStatus") or ad.get("QDate") or now)
    verb = {"idle": "waited", "running": "run", "held": "held"}.get(state, "in this state")
    row = {
        "id": f"{ad.get('ClusterId')}.{ad.get('ProcId')}",
        "state": state,
        "batch": str(ad.get("JobBatchName") or ""),
        "owner": str(ad.get("Owner") or ""),
        "for": f"{verb} {duration(now - since)}",
        "since": since,
    }
    if state == "held":
        row["reason"] = hold_words(ad.get("HoldReasonCode"), ad.get("HoldReason"))
    return row


def job_number(row: Mapping[str, Any]) -> list[int]:
    """A job id's numbers, for numeric order (7.1 before 7.10)."""
    return [int(n) for n in row["id"].split(".")]


def job_rows(ads: Iterable[Mapping[str, Any]], now: float) -> list[dict[str, Any]]:
    """Every job of one schedd query, as rows, oldest first: kept between updates, filtered per page."""
    return sorted((job_view(ad, now) for ad in ads), key=job_number)


# The columns a state's jobs sort on (a click on the page's column header; "-id": the other way).
SORT_KEYS: dict[str, Callable[[Mapping[str, Any]], tuple[Any, ...]]] = {
    "id": lambda row: (job_number(row),),
    "batch": lambda row: (row["batch"], job_number(row)),
    "owner": lambda row: (row["owner"], job_number(row)),
    "for": lambda row: (-row["since"], job_number(row)),  # the shortest time in its state first
    "reason": lambda row: (row.get("reason", ""), job_number(row)),
}


def arrange(rows: list[dict[str, Any]], order: str) -> list[dict[str, Any]]:
    """Rows sorted on one column, "-column" the other way; an unknown column is "id"."""
    column = order.removeprefix("-")
    return sorted(rows, key=SORT_KEYS.get(column, SORT_KEYS["id"]), reverse=order.startswith("-"))


def jobs_view(
    rows: list[dict[str, Any]], text: str = "", state: str = "", order: str = "id", owner: str | None = None
) -> dict[str, Any]:
    """The jobs of `owner` (None: everyone's) by state: those that match `text` (in any column) and `state`.

    Every count, and the first JOBS_LISTED of each state in `order` (held ones first).
    """
    if owner is not None:
        rows = [row for row in rows if row["owner"] == owner]
    text = text.strip().lower()
    columns = ("id", "state", "batch", "reason", "owner")
    shown = [
        row
        for row in rows
        if (not state or row["state"] == state)
        and (not text or any(text in str(row.get(key, "")).lower() for key in columns))
    ]
    counts = Counter(row["state"] for row in shown)
    states = ["held", "running", "idle", *sorted(set(counts) - {"held", "running", "idle"})]
    return {
        "total": len(rows),
        "shown": len(shown),
        "everyone": owner is None,
        "order": order,
        "states": [
            {
                "state": name,
                "count": counts[name],
                "jobs": arrange([row for row in shown if row["state"] == name], order)[:JOBS_LISTED],
            }
            for name in states
            if counts[name]
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


# A job's story: what its event log, its ad and `condor_q -better-analyze` say, in plain words.
# Events that say nothing a scientist acts on are left out.
QUIET_EVENTS = {"IMAGE_SIZE", "FILE_TRANSFER", "JOB_AD_INFORMATION", "ATTRIBUTE_UPDATE", "RESERVE_SPACE"}
TAIL_BYTES = 2000
# HTMap's own release of a job it submitted on hold (patch-htmap) comes within a second; a
# release later than this after the submission is taken to be a user's.
OWN_RELEASE_WITHIN = 10.0


def slot_name(host: str) -> str:
    """slot1_1@machine from an event's SlotName, or the alias in a sinful string <...&alias=machine&...>."""
    if "alias=" in host:
        return host.split("alias=")[1].split("&")[0].split(">")[0]
    return host


def event_words(kind: str, fields: Mapping[str, Any]) -> str | None:
    """One event of a job's log as a line of its timeline; None for events not shown."""
    if kind in QUIET_EVENTS:
        return None
    if kind == "SUBMIT":
        return "submitted"
    if kind == "EXECUTE":
        return f"started on {slot_name(str(fields.get('SlotName') or fields.get('ExecuteHost') or '?'))}"
    if kind == "JOB_HELD":
        return f"held: {hold_words(fields.get('HoldReasonCode'), fields.get('HoldReason'))}"
    if kind == "JOB_RELEASED":
        return "released"
    if kind == "JOB_TERMINATED":
        if fields.get("TerminatedBySignal") is not None and not fields.get("TerminatedNormally", True):
            return f"ended: killed by signal {fields['TerminatedBySignal']}"
        return f"ended: exit code {fields.get('ReturnValue', '?')}"
    if kind == "JOB_EVICTED":
        return "evicted from its machine (it runs again)"
    if kind == "JOB_ABORTED":
        reason = fields.get("Reason")
        return f"removed ({reason})" if reason else "removed"
    if kind == "SHADOW_EXCEPTION":
        return f"its run failed: {fields.get('Message', '?')}"
    if kind == "EXECUTABLE_ERROR":
        return "its program could not be started"
    return kind.lower().replace("_", " ")


def timeline(events: Iterable[tuple[str, float, Mapping[str, Any]]]) -> list[dict[str, Any]]:
    """A job's events, (kind, time, fields) in log order, as timeline lines: when and what.

    A release with no hold before it within OWN_RELEASE_WITHIN of the submission is HTMap's own.
    """
    lines = []
    held = False
    submitted = None
    for kind, when, fields in events:
        if kind == "SUBMIT":
            submitted = float(when)
        if (
            kind == "JOB_RELEASED"
            and not held
            and submitted is not None
            and float(when) - submitted < OWN_RELEASE_WITHIN
        ):
            continue
        if kind in ("JOB_HELD", "JOB_RELEASED"):
            held = kind == "JOB_HELD"
        words = event_words(kind, fields)
        if words is not None:
            lines.append({"time": float(when), "what": words})
    return lines


def resources(ad: Mapping[str, Any]) -> list[dict[str, str]]:
    """What a job asked for and what it used (HTCondor's units: MB of memory, KB of disk)."""

    def number(key: str) -> float | None:
        value = ad.get(key)
        return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None

    def amount(value: float | None, scale: float, unit: str) -> str:
        if value is None:
            return ""
        value /= scale
        return f"{value:.0f}{unit}" if value >= 10 else f"{value:.2g}{unit}"

    rows = []
    for name, asked, used, scale, unit in (
        ("CPUs", "RequestCpus", None, 1, ""),
        ("GPUs", "RequestGPUs", None, 1, ""),
        ("memory", "RequestMemory", "MemoryUsage", 1, " MB"),
        ("disk", "RequestDisk", "DiskUsage", 1024, " MB"),  # HTCondor counts disk in KB
    ):
        wanted, had = number(asked), number(used) if used else None
        if (wanted is None and had is None) or (name == "GPUs" and not wanted):
            continue
        rows.append({"resource": name, "asked": amount(wanted, scale, unit), "used": amount(had, scale, unit)})
    cpu = sum(number(key) or 0.0 for key in ("RemoteUserCpu", "RemoteSysCpu"))
    wall = number("RemoteWallClockTime")
    if wall:
        rows.append({"resource": "time", "asked": "", "used": f"{duration(wall)} running, {cpu:g} s of CPU"})
    return rows


def _requested(analysis: str, attribute: str) -> str:
    """The job's value of an attribute, as -better-analyze lists it (`RequestMemory = 900000 (mb)`)."""
    for line in analysis.splitlines():
        name, _, value = line.strip().partition(" = ")
        if name == attribute:
            return value.replace("(mb)", "MB").replace("(kb)", "KB").strip()
    return "?"


def requirement_words(condition: str, analysis: str) -> str:
    """A requirement no slot meets, in plain words."""
    for attribute, what in (("Memory", "memory"), ("Cpus", "CPUs"), ("Disk", "disk"), ("GPUs", "GPUs")):
        if f"TARGET.{attribute} >=" in condition or f"TARGET.{attribute} >" in condition:
            return f"No machine has the {what} it asks for ({_requested(analysis, 'Request' + attribute)})."
    if "HasDocker" in condition or "HasSingularity" in condition or "HasContainer" in condition:
        return "No machine runs containers of the kind it asks for."
    if "TARGET.Arch" in condition or "TARGET.OpSys" in condition:
        return f"No machine has the architecture or system it asks for ({condition})."
    return f"No machine meets its requirement {condition}."


def why_idle(analysis: str) -> list[str]:
    """Why an idle job does not start, from `condor_q -better-analyze`'s text, in plain words."""
    words = []
    counts: dict[str, int] = {}
    for line in analysis.splitlines():
        step = line.split()
        # The reduced requirements: "[7]  0  TARGET.Memory >= RequestMemory", with a second count
        # (slots that would match if drained) where slots are busy. Unmet: no slot, busy or not.
        if len(step) >= 3 and step[0].startswith("[") and step[0][1:-1].isdigit():
            numbers = [word for word in step[1:3] if word.isdigit()]
            condition = " ".join(step[1 + len(numbers) :])
            if numbers and not any(int(n) for n in numbers) and not condition.startswith("["):
                words.append(requirement_words(condition, analysis))
        for key, text in (
            ("slots", "slots on"),
            ("refused", "reject your job because of their own requirements"),
            ("willing", "match and are willing to run your job"),
            ("drained", "would match if drained"),
            ("running", "are already running your jobs"),
            ("others", "are serving other users"),
        ):
            if text in line:
                number = line.split("Of ")[-1].split()[0] if key == "slots" else step[0]
                if number.isdigit():
                    counts[key] = int(number)
    if counts.get("slots") == 0 or ("slots" not in counts and words):  # no summary: no slot at all
        return ["No machine has joined the pool yet (the collector lists no slot)."]
    if counts.get("refused"):
        words.append(f"{counts['refused']} slot(s) refuse it by their own rules (their START expression).")
    busy = sum(counts.get(key, 0) for key in ("drained", "running", "others"))
    if busy:
        words.append(f"{busy} slot(s) could run it but are busy (with your other jobs or others'): it waits.")
    if counts.get("willing"):
        words.append(f"{counts['willing']} slot(s) could run it: it waits for the next match (or its turn).")
    if not words:
        words.append("Not matched yet: the pool's negotiator has not considered it (a new job waits a cycle).")
    return words


def story_view(
    job: str,
    ad: Mapping[str, Any],
    events: Iterable[tuple[str, float, Mapping[str, Any]]],
    why_idle: list[str] | None,
    streams: Mapping[str, str | None],
) -> dict[str, Any]:
    """A job's story: state, where it runs or ran, its timeline, resources, stream tails, why idle."""
    state = JOB_STATES.get(int(ad.get("JobStatus") or 0), "unknown")
    view: dict[str, Any] = {
        "id": job,
        "state": state,
        "batch": str(ad.get("JobBatchName") or ""),
        "command": " ".join(str(ad[key]) for key in ("Cmd", "Args", "Arguments") if ad.get(key)),
        "where": slot_name(str(ad.get("RemoteHost") or ad.get("LastRemoteHost") or "")),
        "timeline": timeline(events),
        "resources": resources(ad),
        "streams": dict(streams),
    }
    if ad.get("ExitBySignal"):
        view["exit"] = f"killed by signal {ad.get('ExitSignal')}"
    elif ad.get("ExitCode") is not None:
        view["exit"] = f"exit code {ad.get('ExitCode')}"
    if state == "held":
        view["reason"] = hold_words(ad.get("HoldReasonCode"), ad.get("HoldReason"))
    if why_idle is not None:
        view["why_idle"] = why_idle
    return view


# Finished jobs, from the schedd's history: a page at a time, newest first, of the last days.
HISTORY_PAGE = 50
HISTORY_DAYS = 7


def history_view(ads: Iterable[Mapping[str, Any]], now: float, page: int, more: bool) -> dict[str, Any]:
    """Finished jobs: how each ended, how long it ran, where, and when it left the queue."""
    rows = []
    for ad in ads:
        state = JOB_STATES.get(int(ad.get("JobStatus") or 0), "unknown")
        if ad.get("ExitBySignal"):
            ended = f"killed by signal {ad.get('ExitSignal')}"
        elif state == "removed" or ad.get("ExitCode") is None:
            ended = state
        else:
            ended = f"exit code {ad['ExitCode']}"
        left = ad.get("CompletionDate") or ad.get("EnteredCurrentStatus") or now
        rows.append(
            {
                "id": f"{ad.get('ClusterId')}.{ad.get('ProcId')}",
                "batch": str(ad.get("JobBatchName") or ""),
                "ended": ended,
                "ran": duration(float(ad.get("RemoteWallClockTime") or 0)),
                "where": slot_name(str(ad.get("LastRemoteHost") or "")),
                "when": f"{duration(now - float(left))} ago",
            }
        )
    return {"page": page, "more": more, "days": HISTORY_DAYS, "jobs": rows}
