"""A real single-node Slurm renders a dataset as a job array; a cancelled task's clips are rendered
by a resubmission, and only those.

Run as root inside a private network and PID namespace (see tests/executors/test_cluster.py):

    python slurm_scenario.py CONFIG OUT_DIR RESULT.json

Starts munged (as the munge user), slurmctld and slurmd with a configuration in a temporary
folder, runs `synthact render --backend slurm` (submitit, 2 shards, one task at a time),
cancels the second array task while it waits, then resubmits with the sbatch path. Then
renders into OUT_DIR-interrupted and sends SIGINT (Ctrl-C) to synthact while an array task is
encoding a clip; records the exit, the queue and the processes left, and a rerun. Every
daemon is stopped by the PID it wrote; every wait is bounded.
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from interrupting import interrupt_mid_clip, live_processes, restore_sigint

WAIT_S = 60.0
RENDER_TIMEOUT_S = 900


def _wait(check, what: str, timeout: float = WAIT_S) -> None:
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if check():
            return
        time.sleep(0.2)
    raise TimeoutError(f"timed out waiting for {what}")


def start_slurm(tmp: Path) -> dict[str, Path]:
    host = socket.gethostname()
    munge = pwd.getpwnam("munge")
    tmp.chmod(0o755)  # munged (as munge) must reach its folder inside
    mdir = tmp / "munge"
    mdir.mkdir()
    mdir.chmod(0o755)  # the socket folder must be searchable by everyone, writable only by munge
    os.chown(mdir, munge.pw_uid, munge.pw_gid)
    sock = mdir / "munge.socket"
    subprocess.run(["runuser", "-u", "munge", "--", "/usr/sbin/munged", f"--socket={sock}",
                    f"--pid-file={mdir / 'munged.pid'}", f"--log-file={mdir / 'munged.log'}",
                    f"--seed-file={mdir / 'munged.seed'}"], check=True, timeout=30)
    for d in ("state", "spool"):
        (tmp / d).mkdir()
    conf = tmp / "slurm.conf"
    conf.write_text("\n".join([
        "ClusterName=synthact-test", f"SlurmctldHost={host}(127.0.0.1)", "SlurmUser=root", "SlurmdUser=root",
        "AuthType=auth/munge", f"AuthInfo=socket={sock}", "CredType=cred/munge",
        "ProctrackType=proctrack/linuxproc", "TaskPlugin=task/none", "MpiDefault=none",
        "AccountingStorageType=accounting_storage/none", "JobAcctGatherType=jobacct_gather/none",
        "SchedulerType=sched/backfill", "SelectType=select/cons_tres", "SelectTypeParameters=CR_CPU",
        f"StateSaveLocation={tmp / 'state'}", f"SlurmdSpoolDir={tmp / 'spool'}",
        f"SlurmctldPidFile={tmp / 'slurmctld.pid'}", f"SlurmdPidFile={tmp / 'slurmd.pid'}",
        f"SlurmctldLogFile={tmp / 'slurmctld.log'}", f"SlurmdLogFile={tmp / 'slurmd.log'}",
        "SlurmctldPort=6817", "SlurmdPort=6818", "ReturnToService=2", "MinJobAge=600",
        f"NodeName={host} NodeAddr=127.0.0.1 CPUs=2 State=UNKNOWN",
        f"PartitionName=debug Nodes={host} Default=YES MaxTime=INFINITE State=UP", "",
    ]))
    os.environ["SLURM_CONF"] = str(conf)
    subprocess.run(["/usr/sbin/slurmctld", "-f", str(conf)], check=True, timeout=30)
    subprocess.run(["/usr/sbin/slurmd", "-f", str(conf), "-N", host], check=True, timeout=30)
    _wait(lambda: "idle" in subprocess.run(["sinfo", "-h", "-o", "%T"], capture_output=True, text=True).stdout,
          "the node to be idle")
    return {"munged": mdir / "munged.pid", "slurmctld": tmp / "slurmctld.pid", "slurmd": tmp / "slurmd.pid"}


def stop(pid_files: dict[str, Path]) -> None:
    for name in ("slurmd", "slurmctld", "munged"):
        path = pid_files.get(name)
        if path and path.exists():
            try:
                os.kill(int(path.read_text().strip()), signal.SIGTERM)
            except (ProcessLookupError, ValueError):
                pass


def squeue() -> list[tuple[str, str]]:
    out = subprocess.run(["squeue", "-h", "--array", "-o", "%i %T"], capture_output=True, text=True).stdout
    return [tuple(line.split()) for line in out.splitlines() if line.strip()]


def render(config: str, out_dir: str, *extra: str) -> subprocess.Popen:
    synthact = Path(sys.executable).parent / "synthact"
    # SIGINT restored: a test runner may have started this process with it ignored.
    return subprocess.Popen([str(synthact), "render", config, "--out", out_dir, "--backend", "slurm", "--shards", "2",
                             "--array-parallelism", "1", *extra], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, preexec_fn=restore_sigint)


def interrupt(config: str, out_dir: str) -> dict:
    render_args = (config, out_dir, "--submit-with", "sbatch")
    found = interrupt_mid_clip(render(*render_args), out_dir, lambda: {"queue_at_signal": squeue()})
    # Array tasks and their workers left alive (the namespace's /proc holds only this test's processes).
    found.update(queue_after=squeue(),
                 processes_after=live_processes(lambda cmd: "render-shard" in cmd or "spawn_main" in cmd))
    rerun = render(*render_args)
    _, err = rerun.communicate(timeout=RENDER_TIMEOUT_S)
    found.update(rerun_returncode=rerun.returncode, rerun_stderr=err[-3000:])
    return found


def main(config: str, out_dir: str, result_path: str) -> None:
    result: dict = {}
    tmp = Path(tempfile.mkdtemp(prefix="slurm-", dir="/tmp"))
    pid_files: dict[str, Path] = {}
    try:
        pid_files = start_slurm(tmp)
        first = render(config, out_dir, "--submit-with", "submitit")
        cancelled = None
        start = time.monotonic()
        while cancelled is None and time.monotonic() - start < RENDER_TIMEOUT_S and first.poll() is None:
            pending = [jid for jid, state in squeue() if state == "PENDING" and jid.endswith("_1")]
            if pending:
                subprocess.run(["scancel", pending[0]], check=True, timeout=30)
                cancelled = pending[0]
            time.sleep(0.2)
        result["cancelled"] = cancelled
        out, err = first.communicate(timeout=RENDER_TIMEOUT_S)
        result["first"] = {"returncode": first.returncode, "stderr": err[-3000:]}
        labels = Path(out_dir) / "labels"
        result["labels_after_first"] = sorted(str(p.relative_to(labels)) for p in labels.rglob("*.json"))
        result["mtimes_after_first"] = {str(p.relative_to(labels)): p.stat().st_mtime_ns
                                        for p in labels.rglob("*.json")}
        second = render(config, out_dir, "--submit-with", "sbatch")
        out, err = second.communicate(timeout=RENDER_TIMEOUT_S)
        result["second"] = {"returncode": second.returncode, "stderr": err[-3000:]}
        result["mtimes_after_second"] = {str(p.relative_to(labels)): p.stat().st_mtime_ns
                                         for p in labels.rglob("*.json")}
        script = Path(out_dir) / "slurm" / "render.sbatch"
        result["sbatch_script"] = script.read_text() if script.exists() else None
        result["interrupt"] = interrupt(config, out_dir + "-interrupted")
    finally:
        stop(pid_files)
        for name in ("slurmctld.log", "slurmd.log"):
            if (tmp / name).exists():
                result[name] = (tmp / name).read_text()[-2000:]
        shutil.rmtree(tmp, ignore_errors=True)
        Path(result_path).write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main(*sys.argv[1:])
