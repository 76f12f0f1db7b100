"""The health check's process test."""

from pathlib import Path

from htc_entrypoint import health


def fake_proc(tmp_path: Path, *procs: tuple[int, str, str]) -> Path:
    for pid, comm, state in procs:
        (tmp_path / str(pid)).mkdir()
        (tmp_path / str(pid) / "stat").write_text(f"{pid} ({comm}) {state} 1 1 1")
    return tmp_path


def test_running_master_is_alive(tmp_path: Path) -> None:
    assert health.process_alive("condor_master", fake_proc(tmp_path, (7, "condor_master", "S")))


def test_zombie_or_missing_master_is_not(tmp_path: Path) -> None:
    proc = fake_proc(tmp_path, (7, "condor_master", "Z"), (8, "jupyter-lab", "S"))
    assert not health.process_alive("condor_master", proc)
    assert not health.process_alive("condor_schedd", proc)


def test_names_with_spaces_and_parentheses(tmp_path: Path) -> None:
    assert health.process_alive("a (b) c", fake_proc(tmp_path, (9, "a (b) c", "R")))
