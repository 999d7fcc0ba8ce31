"""Runs that are killed (SIGTERM from a scheduler, Ctrl-C) or collide (two runs into one --out),
and the progress a long run shows. Spawns real processes, serially and under mpiexec."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.serial  # spawns its own processes

ROOT = Path(__file__).resolve().parents[2]
EXE = [sys.executable, "-m", "subsidence.cli"]
MPIEXEC = shutil.which("mpiexec", path=str(Path(sys.executable).parent)) or shutil.which("mpiexec")


def _env(**kw):
    env = dict(os.environ, PYTHONUNBUFFERED="1", OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", **kw)
    env.pop("PETSC_OPTIONS", None)
    return env


def _long_deep_case(tmp_path: Path, name: str = "disc-geertsma") -> Path:
    """The disc example on a fine grid at 200 output times: tens of seconds."""
    text = (ROOT / "cases/disc_geertsma.toml").read_text()
    text = text.replace('name = "disc-geertsma"', f'name = "{name}"')
    text = text.replace("times = [10.0]", "times = [%s]" % ", ".join(f"{0.05 * i:.2f}" for i in range(1, 201)))
    text = text.replace("201], y = [-10000.0, 10000.0, 201]", "1501], y = [-10000.0, 10000.0, 1501]")
    p = tmp_path / f"{name}.toml"
    p.write_text(text)
    return p


def _start(args, tmp_path, *, ranks=1, tag="run"):
    cmd = EXE + args
    if ranks > 1:
        cmd = [MPIEXEC, "-n", str(ranks)] + cmd
    err = open(tmp_path / f"{tag}.err", "w+")
    # a test runner started in the background (nohup, `&` in a script) ignores SIGINT, and a child
    # inherits that: give the run the default disposition, as in a terminal
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=err, env=_env(), start_new_session=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    proc.err_path = tmp_path / f"{tag}.err"
    return proc


def _kill_tree(pid: int) -> None:
    """SIGKILL a process and its descendants (mpiexec's ranks run in their own sessions)."""
    kids = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True).stdout.split()
    for k in kids:
        _kill_tree(int(k))
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _wait_for(proc, text: str, timeout: float = 240.0) -> str:
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        log = proc.err_path.read_text()
        if text in log:
            return log
        if proc.poll() is not None:
            pytest.fail(f"the run ended (rc {proc.returncode}) before {text!r} appeared:\n{log}")
        time.sleep(0.2)
    _kill_tree(proc.pid)
    pytest.fail(f"{text!r} did not appear within {timeout} s:\n{proc.err_path.read_text()}")


def _assert_failed_cleanly(proc, out: Path, signum: int):
    try:
        rc = proc.wait(timeout=120)
    except subprocess.TimeoutExpired:
        _kill_tree(proc.pid)
        proc.wait()
        pytest.fail(f"the run did not end after the signal:\n{proc.err_path.read_text()}")
    err = proc.err_path.read_text()
    assert rc == 128 + signum, (rc, err)
    assert "Traceback" not in err and "PETSC ERROR" not in err, err
    assert f"terminated by signal {signum}" in err, err
    failed = out.with_name(out.name + ".failed")
    text = (failed / "error.txt").read_text()
    assert f"terminated by signal {signum} ({signal.Signals(signum).name})" in text
    assert not (failed / "manifest.json").exists() and not out.exists()
    assert not list(out.parent.glob(out.name + ".tmp-*")), "orphan temporary directory"
    assert not out.with_name(out.name + ".lock").exists(), "lock left behind"


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_signal_serial_leaves_failed_dir(tmp_path, signum):
    out = tmp_path / "o"
    proc = _start(["run", str(_long_deep_case(tmp_path)), "--out", str(out)], tmp_path)
    log = _wait_for(proc, "surface grid: ")  # inside the superposition loop, with a progress line
    assert "years" in log and "left" in log
    proc.send_signal(signum)
    _assert_failed_cleanly(proc, out, signum)


@pytest.mark.skipif(MPIEXEC is None, reason="no mpiexec")
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_signal_to_mpiexec_leaves_failed_dir(tmp_path, signum):
    out = tmp_path / "o"
    proc = _start(["run", str(_long_deep_case(tmp_path)), "--out", str(out)], tmp_path, ranks=2)
    _wait_for(proc, "surface grid: ")
    proc.send_signal(signum)  # what scancel / a time limit / Ctrl-C do to mpiexec
    _assert_failed_cleanly(proc, out, signum)


@pytest.mark.slow
@pytest.mark.parametrize("ranks", [1, 2])
def test_sigterm_during_fe_time_stepping(tmp_path, ranks):
    """With PETSc initialised, its own handler ("Caught signal number 15 ...") must not fire."""
    if ranks > 1 and MPIEXEC is None:
        pytest.skip("no mpiexec")
    out = tmp_path / "biot"
    proc = _start(["run", "cases/fem_aquifer_biot.toml", "--out", str(out)], tmp_path, ranks=ranks)
    _wait_for(proc, "Biot time steps: ")
    proc.send_signal(signal.SIGTERM)
    _assert_failed_cleanly(proc, out, signal.SIGTERM)


def test_second_run_into_same_out_is_refused(tmp_path):
    out = tmp_path / "o"
    case = _long_deep_case(tmp_path)
    first = _start(["run", str(case), "--out", str(out)], tmp_path, tag="first")
    _wait_for(first, "surface grid: ")
    lock = json.loads(out.with_name("o.lock").read_text())
    assert lock["pid"] == first.pid and lock["case"] == "disc-geertsma" and lock["host"] and lock["started_utc"]
    second = subprocess.run(EXE + ["run", str(case), "--out", str(out)], cwd=ROOT, capture_output=True, text=True,
                            env=_env(), timeout=120)
    assert second.returncode == 2, second.stderr
    assert "is being written by another run" in second.stderr and f"pid {first.pid}" in second.stderr
    assert "Traceback" not in second.stderr
    assert first.poll() is None, "the first run must go on"
    first.send_signal(signal.SIGTERM)
    _assert_failed_cleanly(first, out, signal.SIGTERM)


def test_two_concurrent_runs_one_wins_cleanly(tmp_path):
    """Two short runs started together: one writes, the other is refused (exit 2); never a crash."""
    out = tmp_path / "o"
    procs = [_start(["run", "cases/disc_geertsma.toml", "--out", str(out)], tmp_path, tag=f"r{i}") for i in range(2)]
    rcs = sorted(p.wait(timeout=300) for p in procs)
    errs = "".join(p.err_path.read_text() for p in procs)
    assert "Traceback" not in errs and "Directory not empty" not in errs, errs
    assert rcs[0] == 0 and rcs[1] in (0, 2), (rcs, errs)
    if rcs[1] == 2:
        assert "is being written by another run" in errs
    assert json.loads((out / "manifest.json").read_text())["complete"] is True
    assert not list(tmp_path.glob("o.tmp-*")) and not list(tmp_path.glob("o.old-*"))
    assert not (tmp_path / "o.lock").exists()


# -- the run directory in-process: lock, stale lock, --force, atomic replacement -------------


def _rundir(out, **kw):
    from subsidence.io.rundir import RunDirectory

    return RunDirectory(out, None, **kw)


def _complete(rd, name="a", sha="1" * 64):
    rd.file("summary.json").write_text("{}")
    rd.file("manifest.json").write_text(json.dumps({"case": {"name": name}, "case_sha256": sha, "complete": True}))
    rd.commit()


def test_stale_lock_of_dead_process_is_taken_over(tmp_path):
    import socket

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    out = tmp_path / "o"
    orphan = tmp_path / "o.tmp-deadbeef"
    orphan.mkdir()
    (tmp_path / "o.lock").write_text(json.dumps({"host": socket.gethostname(), "pid": dead.pid, "case": "a",
                                                 "started_utc": "2026-01-01T00:00:00+00:00", "tmp": orphan.name}))
    with _rundir(out, case_name="a") as rd:
        assert json.loads((tmp_path / "o.lock").read_text())["pid"] == os.getpid()
        _complete(rd)
    assert (out / "manifest.json").is_file()
    assert not orphan.exists() and not (tmp_path / "o.lock").exists()


def test_live_or_foreign_lock_is_respected(tmp_path):
    from subsidence.io.rundir import OutputDirError

    out = tmp_path / "o"
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        for lock in ({"host": "elsewhere", "pid": 1, "case": "b"},  # another host: cannot tell, so respected
                     {"host": __import__("socket").gethostname(), "pid": live.pid, "case": "b"}):
            (tmp_path / "o.lock").write_text(json.dumps(lock))
            with pytest.raises(OutputDirError, match="being written by another run .case 'b'"):
                with _rundir(out, case_name="a"):
                    pass
            assert (tmp_path / "o.lock").exists() and not list(tmp_path.glob("o.tmp-*"))
    finally:
        live.kill()
        live.wait()


def test_replacing_another_case_needs_force(tmp_path, caplog):
    from subsidence.io.rundir import OutputDirError

    out = tmp_path / "o"
    with _rundir(out, case_name="a", case_sha256="1" * 64) as rd:
        _complete(rd, "a", "1" * 64)
    # the same case (edited: another sha256) is replaced, and the log says so
    logger = __import__("logging").getLogger("subsidence")
    logger.addHandler(caplog.handler)
    try:
        with caplog.at_level("INFO", logger="subsidence"):
            with _rundir(out, case_name="a", case_sha256="2" * 64) as rd:
                _complete(rd, "a", "2" * 64)
    finally:
        logger.removeHandler(caplog.handler)
    assert "replacing the earlier run of case 'a'" in caplog.text
    with pytest.raises(OutputDirError, match="holds a run of another case .'a', this is 'b'.; use --force"):
        with _rundir(out, case_name="b", case_sha256="3" * 64):
            pass
    assert json.loads((out / "manifest.json").read_text())["case"]["name"] == "a"
    assert not (tmp_path / "o.lock").exists()
    with _rundir(out, case_name="b", case_sha256="3" * 64, force=True) as rd:
        _complete(rd, "b", "3" * 64)
    assert json.loads((out / "manifest.json").read_text())["case"]["name"] == "b"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o"]  # no lock, no old run, no temporary


def test_force_flag_on_the_command_line(tmp_path):
    out = tmp_path / "o"
    r = subprocess.run(EXE + ["run", "cases/disc_geertsma.toml", "--out", str(out)], cwd=ROOT, capture_output=True,
                       text=True, env=_env(), timeout=300)
    assert r.returncode == 0, r.stderr
    other = tmp_path / "other.toml"
    other.write_text((ROOT / "cases/disc_geertsma.toml").read_text().replace('name = "disc-geertsma"', 'name = "other"'))
    r = subprocess.run(EXE + ["run", str(other), "--out", str(out)], cwd=ROOT, capture_output=True, text=True,
                       env=_env(), timeout=300)
    assert r.returncode == 2 and "--force" in r.stderr and "Traceback" not in r.stderr, r.stderr
    r = subprocess.run(EXE + ["run", str(other), "--out", str(out), "--force"], cwd=ROOT, capture_output=True,
                       text=True, env=_env(), timeout=300)
    assert r.returncode == 0, r.stderr
    assert json.loads((out / "manifest.json").read_text())["case"]["name"] == "other"


def test_commit_moves_the_old_run_aside_first(tmp_path, monkeypatch):
    """The old run is renamed aside, the new one renamed into place, then the old one deleted."""
    out = tmp_path / "o"
    with _rundir(out, case_name="a") as rd:
        _complete(rd)
    moves = []
    real = os.replace

    def spy(a, b):
        moves.append((Path(a).name, Path(b).name))
        return real(a, b)

    monkeypatch.setattr(os, "replace", spy)
    with _rundir(out, case_name="a") as rd:
        _complete(rd)
    assert [m[1] for m in moves] == [f"o.old-{rd.path.name.split('-')[-1]}", "o"]
    assert moves[1][0] == rd.path.name
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o"]


# -- progress -------------------------------------------------------------------------


class _Clock:
    def __init__(self):
        self.t = 0.0

    def __call__(self):
        return self.t


def _progress_lines(monkeypatch, steps, dt_wall, dt_years, **kw):
    import logging

    from subsidence.log import Progress

    monkeypatch.setenv("SUBSIDENCE_PROGRESS", "log")
    records = []
    handler = logging.Handler()
    handler.emit = records.append
    logger = logging.getLogger("subsidence.progress")
    logger.addHandler(handler)
    old = logger.level
    logger.setLevel(logging.INFO)
    try:
        p = Progress("loop", steps, t_end=steps * dt_years, **kw)
        clock = _Clock()
        p._clock = clock
        p._t0 = p._last = 0.0
        for i in range(steps):
            clock.t += dt_wall
            p.update(t=(i + 1) * dt_years)
        p.close()
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old)
    return [r.getMessage() for r in records]


def test_progress_logs_per_simulated_year_at_most_once_a_second(monkeypatch):
    # 10 steps a year, 0.5 s a step: a line per simulated year
    lines = _progress_lines(monkeypatch, 100, 0.5, 0.1)
    assert len(lines) == 11 and lines[-1].startswith("loop: done, 100 steps")
    assert lines[0] == "loop: 1 of 10 years, 10/100 steps (10 %), 5.0 s elapsed, about 45 s left"
    # a year every 1/128 s for 4 s: rate-limited to one line a second
    lines = _progress_lines(monkeypatch, 4096, 1 / 1024, 0.125)
    assert len(lines) == 4 + 1
    # a year every 100 s: still a line every 10 s
    lines = _progress_lines(monkeypatch, 10, 10.0, 0.01)
    assert len(lines) == 10 + 1


def test_progress_is_cheap_and_silent_off_rank0_or_when_quiet(monkeypatch):
    import logging

    from subsidence.log import Progress

    class Rank1:
        rank = 1

    monkeypatch.setenv("SUBSIDENCE_PROGRESS", "log")
    assert Progress("x", 10, comm=Rank1()).mode == "off"
    logger = logging.getLogger("subsidence")
    old = logger.level
    logger.setLevel(logging.WARNING)  # --quiet
    try:
        assert Progress("x", 10).mode == "off"
        logger.setLevel(logging.INFO)
        p = Progress("x", 10**5, t_end=1.0)
        assert p.mode == "log"
        p._log.setLevel(logging.WARNING)  # measure the update path without printing
        p.mode = "log"
        t0 = time.perf_counter()
        for i in range(10**5):
            p.update(t=i * 1e-5)
        assert (time.perf_counter() - t0) / 1e5 < 20e-6  # well under 20 µs a step
    finally:
        logger.setLevel(old)
        logging.getLogger("subsidence.progress").setLevel(logging.NOTSET)


def test_coupled_chain_logs_progress(tmp_path):
    """The shallow chain (groundwater and soil column loops) tells its progress in the log. The loops
    may take less than the 1 s between lines on a fast machine: a line per simulated year here."""
    text = (ROOT / "cases" / "coupled_groningen_area.toml").read_text()
    assert "\nyears = 50\n" in text and '"../validation/' in text and 'case = "groningen_deep.toml"' in text
    case = tmp_path / "coupled_short.toml"  # the shipped case over 8 years instead of 50 (the test's time)
    case.write_text(text.replace("\nyears = 50\n", "\nyears = 8\n", 1).replace('"../validation/', f'"{ROOT}/validation/')
                    .replace('case = "groningen_deep.toml"', f'case = "{ROOT}/cases/groningen_deep.toml"'))
    r = subprocess.run(EXE + ["run", str(case), "--out", str(tmp_path / "c")], cwd=ROOT,
                       capture_output=True, text=True, env=_env(SUBSIDENCE_PROGRESS_GAP="0"), timeout=600)
    assert r.returncode == 0, r.stderr
    for phase in ("groundwater: ", "soil column (5 column(s)): "):
        lines = [ln for ln in r.stderr.splitlines() if phase in ln]
        assert lines and any("years" in ln and "left" in ln for ln in lines), r.stderr
        assert lines[-1].endswith(" s") and "done" in lines[-1]


def test_progress_bar_on_a_terminal(monkeypatch, capsys):
    import logging

    from subsidence.log import Progress

    monkeypatch.setenv("SUBSIDENCE_PROGRESS", "bar")  # what a terminal gets
    logger = logging.getLogger("subsidence")
    old = logger.level
    logger.setLevel(logging.INFO)
    try:
        with Progress("Biot time steps", 50, t_end=5.0) as p:
            assert p.mode == "bar"
            for i in range(50):
                time.sleep(0.01)
                p.update(t=(i + 1) * 0.1)
    finally:
        logger.setLevel(old)
    err = capsys.readouterr().err
    assert "Biot time steps" in err and "/50" in err and "<" in err  # count and time left


@pytest.mark.slow
def test_cavern_time_stepping_logs_progress(tmp_path):
    text = (ROOT / "cases" / "cavern_zechstein_deep.toml").read_text()
    assert "\nend = 100 " in text
    case = tmp_path / "cavern_short.toml"  # the shipped case over 15 years instead of 100 (the test's time)
    case.write_text(text.replace("\nend = 100 ", "\nend = 15 ", 1))
    r = subprocess.run(EXE + ["run", str(case), "--out", str(tmp_path / "c")], cwd=ROOT,
                       capture_output=True, text=True, env=_env(SUBSIDENCE_PROGRESS_GAP="0"), timeout=600)  # fast when quiet
    assert r.returncode == 0, r.stderr
    lines = [ln for ln in r.stderr.splitlines() if "scenario base: " in ln and "years" in ln]
    assert len(lines) >= 2 and any("left" in ln for ln in lines), r.stderr


def test_stale_lock_is_taken_over_by_one_run_only(tmp_path):
    """Several runs find the same stale lock at once: exactly one gets it, the others are refused."""
    import socket

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = {"host": socket.gethostname(), "pid": dead.pid, "case": "a", "started_utc": "2026-01-01T00:00:00+00:00"}
    (tmp_path / "o.lock").write_text(json.dumps(stale))
    script = (
        "import sys, time\n"
        "from subsidence.io.rundir import RunDirectory, OutputDirError\n"
        "time.sleep(max(0.0, float(sys.argv[2]) - time.time()))\n"
        "try:\n"
        "    with RunDirectory(sys.argv[1], None, case_name='a'):\n"
        "        print('GOT', flush=True); time.sleep(3)\n"
        "except OutputDirError as e:\n"
        "    print('REFUSED', e, flush=True)\n"
    )
    start = time.time() + 3.0
    procs = [subprocess.Popen([sys.executable, "-c", script, str(tmp_path / "o"), str(start)], cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env()) for _ in range(4)]
    outs = [p.communicate(timeout=120) for p in procs]
    got = [o for o, _ in outs if o.startswith("GOT")]
    assert len(got) == 1, outs
    assert all(o.startswith(("GOT", "REFUSED")) for o, _ in outs), outs
    assert not (tmp_path / "o.lock").exists() and not list(tmp_path.glob("o.lock.*"))


def test_a_fresh_lock_claimed_by_mistake_is_put_back(tmp_path):
    out = tmp_path / "o"
    live = {"host": "here", "pid": 1, "case": "b", "started_utc": "now"}
    (tmp_path / "o.lock").write_text(json.dumps(live))
    rd = _rundir(out, case_name="a")
    rd._take_over({"host": "here", "pid": 2, "case": "a"})  # what this run had read earlier: now replaced
    assert json.loads((tmp_path / "o.lock").read_text()) == live
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o.lock"]


@pytest.mark.parametrize("swapped", [False, True])
def test_run_killed_while_moving_into_place_is_repaired(tmp_path, swapped):
    """SIGKILL between 'old run aside' and 'new run in place' (or before deleting the old run)."""
    import socket

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    out = tmp_path / "o"
    (tmp_path / "o.old-cafe0001").mkdir()
    (tmp_path / "o.old-cafe0001" / "manifest.json").write_text(json.dumps({"case": {"name": "a"}, "tag": "old"}))
    if swapped:
        out.mkdir()
        (out / "manifest.json").write_text(json.dumps({"case": {"name": "a"}, "tag": "new"}))
    else:
        (tmp_path / "o.tmp-cafe0001").mkdir()
    (tmp_path / "o.lock").write_text(json.dumps({"host": socket.gethostname(), "pid": dead.pid, "case": "a",
                                                 "started_utc": "then", "tmp": "o.tmp-cafe0001"}))
    with _rundir(out, case_name="a") as rd:
        kept = json.loads((out / "manifest.json").read_text())["tag"]
        assert kept == ("new" if swapped else "old")
        _complete(rd)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o"]


def test_a_swallowed_termination_still_fails_the_run(tmp_path):
    """A signal whose exception is lost inside compiled code (printed as "Exception ignored")
    must still leave <out>.failed and no complete run: commit checks the recorded signal."""
    from subsidence.io.rundir import RunDirectory
    from subsidence.signals import Terminated, handle_termination

    out = tmp_path / "o"
    with pytest.raises(Terminated):
        with handle_termination(None, out=out):
            with RunDirectory(out) as rd:
                try:
                    os.kill(os.getpid(), signal.SIGTERM)
                    time.sleep(0.1)
                except Terminated:
                    pass  # swallowed, as compiled code may do
                rd.file("manifest.json").write_text("{}")
                rd.commit()
    assert not out.exists()
    assert "terminated by signal 15" in (out.with_name("o.failed") / "error.txt").read_text()
