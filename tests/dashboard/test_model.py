"""The dashboard's view model: what the collector, the schedd and HTMap report -> what the page shows."""

from types import SimpleNamespace

from htc_dashboard import model, widget

NOW = 1_000_000.0


def test_a_partitionable_slot_counts_its_dynamic_slots_use() -> None:
    slots = [
        {
            "Machine": "nb",
            "SlotType": "Partitionable",
            "Cpus": 1,
            "Memory": 1000,
            "TotalSlotCpus": 4,
            "TotalSlotMemory": 8000,
        },
        {"Machine": "nb", "SlotType": "Dynamic", "Cpus": 3, "Memory": 7000, "State": "Claimed"},
    ]
    [row] = model.pool_view(slots)
    assert row == {
        "machine": "nb",
        "slots": 1,
        "cpus": 4,
        "cpus_free": 1,
        "cpus_used": 3,
        "memory": 8000,
        "memory_free": 1000,
        "memory_used": 7000,
    }


def test_static_slots_are_used_when_claimed_and_machines_are_sorted() -> None:
    slots = [
        {"Machine": "b", "SlotType": "Static", "Cpus": 1, "Memory": 100, "State": "Claimed"},
        {"Machine": "b", "SlotType": "Static", "Cpus": 1, "Memory": 100, "State": "Unclaimed"},
        {"Machine": "a", "Cpus": 2, "Memory": 50, "State": "Unclaimed"},
    ]
    rows = model.pool_view(slots)
    assert [r["machine"] for r in rows] == ["a", "b"]
    assert (rows[1]["slots"], rows[1]["cpus_used"], rows[1]["memory_free"]) == (2, 1, 100)
    assert rows[0]["cpus_used"] == 0


def test_jobs_grouped_by_state_held_first_with_reasons_in_plain_words() -> None:
    ads = [
        {"ClusterId": 7, "ProcId": 10, "JobStatus": 1, "QDate": NOW - 65, "JobBatchName": "sim"},
        {"ClusterId": 7, "ProcId": 2, "JobStatus": 2, "EnteredCurrentStatus": NOW - 3 * 3600 - 120},
        {
            "ClusterId": 7,
            "ProcId": 3,
            "JobStatus": 5,
            "EnteredCurrentStatus": NOW - 5,
            "HoldReasonCode": 1,
            "HoldReason": "via condor_hold (by user jovyan)",
        },
        {"ClusterId": 7, "ProcId": 1, "JobStatus": 1, "EnteredCurrentStatus": NOW - 2 * 86400 - 7200},
    ]
    view = model.jobs_view(model.job_rows(ads, NOW))
    assert view["total"] == 4
    assert [(g["state"], g["count"]) for g in view["states"]] == [("held", 1), ("running", 1), ("idle", 2)]
    held = view["states"][0]["jobs"][0]
    assert held["reason"] == "You (or an administrator) held it. (via condor_hold (by user jovyan))"
    assert held["for"] == "held 5 s"
    assert view["states"][1]["jobs"][0]["for"] == "run 3 h 2 min"
    # Numeric order of job ids, not text order: 7.1 before 7.10.
    assert [j["id"] for j in view["states"][2]["jobs"]] == ["7.1", "7.10"]
    assert [j["for"] for j in view["states"][2]["jobs"]] == ["waited 2 d 2 h", "waited 1 min 5 s"]


def test_a_long_queue_lists_only_the_first_jobs_of_a_state_but_counts_all() -> None:
    ads = [{"ClusterId": 1, "ProcId": n, "JobStatus": 1, "QDate": NOW} for n in range(1000)]
    [idle] = model.jobs_view(model.job_rows(ads, NOW))["states"]
    assert idle["count"] == 1000
    assert len(idle["jobs"]) == model.JOBS_LISTED


def test_an_unknown_hold_code_still_reads_as_a_sentence() -> None:
    assert model.hold_words(999, "odd") == "HTCondor held it. (odd)"
    assert model.hold_words(None, None) == "HTCondor held it."


def test_map_counts_every_state_group_and_removed_only_when_there() -> None:
    statuses = ["IDLE", "UNMATERIALIZED", "RUNNING", "COMPLETED", "COMPLETED", "HELD", "ERRORED"]
    assert model.map_counts(statuses) == {"idle": 2, "running": 1, "completed": 2, "held": 1, "errored": 1}
    assert model.map_counts(["REMOVED"])["removed"] == 1


def test_map_view_holds_and_first_error() -> None:
    trace = [f"line {n}" for n in range(30)]
    view = model.map_view("sim", ["HELD", "ERRORED"], {0: (13, "no such file")}, (1, "ZeroDivisionError", trace))
    assert view["holds"] == [{"component": 0, "reason": f"{model.HOLD_WORDS[13]} (no such file)"}]
    assert view["error"]["message"] == "ZeroDivisionError"
    assert len(view["error"]["traceback"]) == model.TRACEBACK_HEAD


def test_a_map_in_a_cell_is_a_table_and_a_text_bar() -> None:
    found = SimpleNamespace(tag="sim<1>", component_statuses=["COMPLETED"] * 3 + ["IDLE"])
    html = widget.map_html(found)  # type: ignore[arg-type]
    assert "<td>sim&lt;1&gt;</td><td>4</td>" in html
    assert "<th>completed</th>" in html and "<td>3</td>" in html
    bar = widget.text_bar("sim", widget.counts_of(found))  # type: ignore[arg-type]
    assert bar.startswith("sim: |" + "#" * 22 + " " * 8 + "| 3/4 (idle 1, running 0, completed 3")


# What `condor_q -better-analyze` printed here (HTCondor 25.14.1) for a job asking 900,000 MB.
ANALYSIS = """
Job 1.000 defines the following attributes:

    FileSystemDomain = "htc-notebook"
    RequestMemory = 900000 (mb)

The Requirements expression for job 1.000 reduces to these conditions:

        Slots
Step   Matched  Condition
----- --------- ---------
[0]           1  TARGET.Arch == "X86_64"
[7]           0  TARGET.Memory >= RequestMemory
[9]           1  TARGET.FileSystemDomain == MY.FileSystemDomain


001.000:  Run analysis summary ignoring user priority.  Of 1 slots on 1 machines,
      1 slots are rejected by your job's requirements
      0 slots reject your job because of their own requirements
      0 slots match and are willing to run your job
"""


def test_why_an_idle_job_does_not_start_in_plain_words() -> None:
    assert model.why_idle(ANALYSIS) == ["No machine has the memory it asks for (900000 MB)."]
    refused = ANALYSIS.replace("[7]           0", "[7]           1").replace("0 slots reject", "1 slots reject")
    assert model.why_idle(refused) == ["1 slot(s) refuse it by their own rules (their START expression)."]
    willing = refused.replace("1 slots reject", "0 slots reject").replace("0 slots match", "2 slots match")
    assert model.why_idle(willing) == ["2 slot(s) could run it: it waits for the next match (or its turn)."]
    assert model.why_idle("No successful match recorded.")[0].startswith("Not matched yet")
    # Combined steps ("[8]  0  [6] && [7]") repeat a condition: not said again.
    combined = ANALYSIS.replace(
        "[9]           1  TARGET.File", "[8]           0  [6] && [7]\n[9]           1  TARGET.File"
    )
    assert model.why_idle(combined) == ["No machine has the memory it asks for (900000 MB)."]
    # No slot at all: every condition unmet, no summary.
    empty = ANALYSIS.split("001.000:")[0].replace("[0]           1", "[0]           0")
    assert model.why_idle(empty) == ["No machine has joined the pool yet (the collector lists no slot)."]
    unknown = ANALYSIS.replace("TARGET.Memory >= RequestMemory", 'TARGET.Site == "chtc"')
    assert model.why_idle(unknown) == ['No machine meets its requirement TARGET.Site == "chtc".']


def test_a_jobs_story_from_its_events_and_ad() -> None:
    events = [
        ("SUBMIT", 10.0, {}),
        ("JOB_RELEASED", 10.1, {}),  # HTMap's at submission: not shown
        ("EXECUTE", 11.0, {"SlotName": "slot1_1@exec1", "ExecuteHost": "<1.2.3.4:9618?alias=exec1&x>"}),
        ("IMAGE_SIZE", 12.0, {"Size": 150}),
        ("JOB_HELD", 13.0, {"HoldReasonCode": 26, "HoldReason": "memory"}),
        ("JOB_RELEASED", 14.0, {}),
        ("EXECUTE", 15.0, {"ExecuteHost": "<1.2.3.4:9618?alias=exec2&x>"}),
        ("JOB_TERMINATED", 16.0, {"TerminatedNormally": True, "ReturnValue": 3}),
        ("JOB_ABORTED", 17.0, {"Reason": "via condor_rm"}),
    ]
    # A job submitted on hold, released a minute later: shown.
    assert [line["what"] for line in model.timeline([("SUBMIT", 0.0, {}), ("JOB_RELEASED", 60.0, {})])] == [
        "submitted",
        "released",
    ]
    ad = {
        "JobStatus": 4,
        "JobBatchName": "Simulation1",
        "Cmd": "/opt/venv/bin/python",
        "Arguments": "_htmap_run.py 3",
        "LastRemoteHost": "slot1_1@exec2",
        "ExitCode": 3,
        "RequestCpus": 1,
        "RequestMemory": 128,
        "MemoryUsage": 5,
        "RequestDisk": 1048576,
        "DiskUsage": 150,
        "RemoteWallClockTime": 65.0,
        "RemoteUserCpu": 2.0,
        "RemoteSysCpu": 0.5,
    }
    view = model.story_view("7.3", ad, events, None, {"stdout": "out\n", "stderr": None})
    assert [line["what"] for line in view["timeline"]] == [
        "submitted",
        "started on slot1_1@exec1",
        "held: The job asked for more memory than it may use, or used more than it asked for. (memory)",
        "released",
        "started on exec2",
        "ended: exit code 3",
        "removed (via condor_rm)",
    ]
    assert (view["state"], view["batch"], view["where"], view["exit"]) == (
        "completed",
        "Simulation1",
        "slot1_1@exec2",
        "exit code 3",
    )
    assert view["command"] == "/opt/venv/bin/python _htmap_run.py 3"
    assert view["resources"] == [
        {"resource": "CPUs", "asked": "1", "used": ""},
        {"resource": "memory", "asked": "128 MB", "used": "5 MB"},
        {"resource": "disk", "asked": "1024 MB", "used": "0.15 MB"},
        {"resource": "time", "asked": "", "used": "1 min 5 s running, 2.5 s of CPU"},
    ]
    assert view["streams"] == {"stdout": "out\n", "stderr": None}
    assert "why_idle" not in view and "reason" not in view
    killed = model.story_view("7.4", {"JobStatus": 5, "ExitBySignal": True, "ExitSignal": 9}, [], ["x"], {})
    assert (killed["exit"], killed["why_idle"], killed["reason"]) == ("killed by signal 9", ["x"], "HTCondor held it.")


def test_finished_jobs_say_how_they_ended_how_long_they_ran_and_where() -> None:
    ads = [
        {
            "ClusterId": 9,
            "ProcId": 0,
            "JobStatus": 4,
            "JobBatchName": "Sim",
            "ExitCode": 0,
            "CompletionDate": NOW - 125,
        },
        {"ClusterId": 8, "ProcId": 1, "JobStatus": 4, "ExitBySignal": True, "ExitSignal": 9, "CompletionDate": NOW},
        {"ClusterId": 7, "ProcId": 0, "JobStatus": 3, "EnteredCurrentStatus": NOW - 7200},
    ]
    ads[0] |= {"RemoteWallClockTime": 65.0, "LastRemoteHost": "slot1_1@exec1"}
    view = model.history_view(ads, NOW, page=1, more=True)
    assert (view["page"], view["more"], view["days"]) == (1, True, model.HISTORY_DAYS)
    assert view["jobs"] == [
        {
            "id": "9.0",
            "batch": "Sim",
            "ended": "exit code 0",
            "ran": "1 min 5 s",
            "where": "slot1_1@exec1",
            "when": "2 min 5 s ago",
        },
        {"id": "8.1", "batch": "", "ended": "killed by signal 9", "ran": "0 s", "where": "", "when": "0 s ago"},
        {"id": "7.0", "batch": "", "ended": "removed", "ran": "0 s", "where": "", "when": "2 h 0 min ago"},
    ]


def test_jobs_filtered_by_any_text_state_and_owner_and_sorted_on_any_column() -> None:
    ads = [
        {"ClusterId": 3, "ProcId": 0, "JobStatus": 1, "JobBatchName": "Bulk", "EnteredCurrentStatus": NOW - 10},
        {"ClusterId": 3, "ProcId": 10, "JobStatus": 1, "JobBatchName": "Bulk", "EnteredCurrentStatus": NOW - 90},
        {"ClusterId": 4, "ProcId": 0, "JobStatus": 1, "JobBatchName": "Alpha", "EnteredCurrentStatus": NOW - 50},
        {"ClusterId": 5, "ProcId": 0, "JobStatus": 5, "JobBatchName": "Other", "HoldReason": "disk full"},
    ]
    ads = [ad | {"Owner": "jovyan"} for ad in ads]
    ads.append({"ClusterId": 6, "ProcId": 0, "Owner": "alice", "JobStatus": 1, "EnteredCurrentStatus": NOW - 70})
    rows = model.job_rows(ads, NOW)

    def ids(view: dict) -> list[str]:
        return [job["id"] for group in view["states"] for job in group["jobs"]]

    def mine(**filters: str) -> list[str]:
        return ids(model.jobs_view(rows, **filters, owner="jovyan"))

    assert mine() == ["5.0", "3.0", "3.10", "4.0"]  # held first, then by id
    assert mine(order="-id") == ["5.0", "4.0", "3.10", "3.0"]
    assert mine(order="batch") == ["5.0", "4.0", "3.0", "3.10"]
    assert mine(order="-batch") == ["5.0", "3.10", "3.0", "4.0"]
    assert mine(order="-for") == ["5.0", "3.10", "4.0", "3.0"]  # the longest in its state first
    assert mine(order="for") == ["5.0", "3.0", "4.0", "3.10"]
    assert mine(order="no such column") == mine()
    bulk = model.jobs_view(rows, text=" bULK ", owner="jovyan")
    assert (ids(bulk), bulk["shown"], bulk["total"], bulk["everyone"]) == (["3.0", "3.10"], 2, 4, False)
    assert mine(text="disk") == ["5.0"]  # the hold's reason
    assert mine(text="3.1") == ["3.10"]
    assert mine(state="held") == ["5.0"]
    assert mine(text="bulk", state="held") == []
    everyone = model.jobs_view(rows, order="owner")
    assert (ids(everyone), everyone["total"], everyone["everyone"]) == (["5.0", "6.0", "3.0", "3.10", "4.0"], 5, True)
    assert ids(model.jobs_view(rows, text="alice")) == ["6.0"]


# A job that fits once the slot's running jobs end (HTCondor 25.14.1, 2 jobs on 2 CPUs, a third).
BUSY = """
         Slots      If
Step   Matched   Drained  Condition
----- --------- --------- ---------
[0]           1         1  TARGET.Arch == "X86_64"
[3]           0         1  TARGET.Cpus >= RequestCpus
[7]           1         1  TARGET.Memory >= RequestMemory

003.002:  Run analysis summary ignoring user priority.  Of 1 slots on 1 machines,
      0 slots are rejected by your job's requirements
      0 slots reject your job because of their own requirements
      0 slots match and are willing to run your job
      1 slots would match if drained
"""


def test_a_job_that_waits_for_busy_slots_is_told_so_not_that_no_machine_fits() -> None:
    assert model.why_idle(BUSY) == ["1 slot(s) could run it but are busy (with your other jobs or others'): it waits."]
    none_fits = BUSY.replace("[3]           0         1", "[3]           0         0")
    assert model.why_idle(none_fits)[0] == "No machine has the CPUs it asks for (?)."
