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
    view = model.jobs_view(ads, NOW)
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
    [idle] = model.jobs_view(ads, NOW)["states"]
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
