"""import-bvh on input a user will have, and input a hostile one might: BVH rows read as a stream and
checked, labels files contained in their folder, one line for a bad --out or joint map, nothing left behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import pytest

from render_farm.templates.bvh_cut import BvhSegmentError, cut_segment
from render_farm.templates.mocap import read_descriptions, read_labels_csv
from tests.conftest import run_cli
from tests.executors.cluster.interrupting import restore_sigint

HEAD = ("HIERARCHY\nROOT Hips\n{\n  OFFSET 0 0 0\n  CHANNELS 6 Xposition Yposition Zposition Zrotation Xrotation "
        "Yrotation\n  End Site\n  {\n    OFFSET 0 10 0\n  }\n}\nMOTION\n")


def bvh(path: Path, rows: int | list[str], frames: int | None = None, frame_time: str = "0.0333333") -> Path:
    body = rows if isinstance(rows, list) else [f"{k % 7} 90 0 {k % 3} 0 0\n" for k in range(rows)]
    with open(path, "w", encoding="utf-8") as f:
        f.write(HEAD + f"Frames: {len(body) if frames is None else frames}\nFrame Time: {frame_time}\n")
        f.writelines(body)
    return path


def test_a_short_segment_of_a_million_row_capture_reads_only_its_rows(tmp_path):
    long = tmp_path / "long.bvh"
    with open(long, "w", encoding="utf-8") as f:
        f.write(HEAD + "Frames: 1000000\nFrame Time: 0.01\n")
        row = "1 90 0 0 0 0\n" * 1000
        for _ in range(1000):
            f.write(row)
        f.write("nan nan nan nan nan nan\n")  # past the segment: never read
    assert long.stat().st_size > 13_000_000
    tracemalloc.start()
    piece = cut_segment(long, 1001, 1050, tmp_path / "cut.bvh")
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert (piece.frames, piece.rows_read, piece.frame_time) == (50, 1050, 0.01)
    assert peak < 2_000_000, peak  # a few lines and the 50 rows, never the capture
    text = (tmp_path / "cut.bvh").read_text()
    assert text.startswith(HEAD + "Frames: 50\nFrame Time: 0.01\n") and text.count("\n") == HEAD.count("\n") + 52


@pytest.mark.parametrize(("rows", "start", "end", "header", "reason"), [
    (["1 2 3 4 5 6\n", "1 2 nan 4 5 6\n"], None, None, {}, "frame 2: channel 3 is nan (NaN or infinite)"),
    (["1 2 3 4 5 inf\n"], 1, 1, {}, "frame 1: channel 6 is inf (NaN or infinite)"),
    (["1 2 3 4 5\n"], None, None, {}, "frame 1 (line 14) has 5 numbers for 6 channels"),
    (["1 2 3 4 5 x\n"], None, None, {}, "frame 1: channel 6 is 'x', not a number"),
    (["0 0 0 0 0 0\n"] * 3, None, None, {"frame_time": "0"}, "line 13: Frame Time: 0 (it must be a positive "
                                                               "number of seconds)"),
    (["0 0 0 0 0 0\n"] * 3, None, None, {"frame_time": "-0.1"}, "line 13: Frame Time: -0.1 (it must be"),
    (["0 0 0 0 0 0\n"] * 3, None, None, {"frames": 5}, "its Frames: header says 5, the file has 3 frame rows"),
    (["0 0 0 0 0 0\n"] * 3, 1, 3, {"frames": 2}, "its Frames: header says 2, the file has more frame rows"),
    (["0 0 0 0 0 0\n"] * 3, 2, 9, {}, "end_frame 9 is past the file's last frame (3)"),
    (["0 0 0 0 0 0\n"] * 3, 1, 20_000, {}, "the segment has more than 10000 frames"),
])
def test_a_bad_row_or_header_is_one_reason_naming_the_file_and_frame(tmp_path, rows, start, end, header, reason):
    path = bvh(tmp_path / "take.bvh", rows, **header)
    with pytest.raises(BvhSegmentError) as caught:
        cut_segment(path, start, end, tmp_path / "cut.bvh")
    assert str(caught.value).startswith(f"{path}: {reason}"), str(caught.value)
    assert not (tmp_path / "cut.bvh").exists()  # nothing half-written


def test_a_labels_file_names_only_files_inside_its_folder(tmp_path):
    folder = tmp_path / "mocap"
    folder.mkdir()
    bvh(folder / "take.bvh", 20)
    (tmp_path / "elsewhere").mkdir()
    bvh(tmp_path / "elsewhere" / "x.bvh", 20)
    (folder / "link.bvh").symlink_to(tmp_path / "elsewhere" / "x.bvh")
    labels = folder / "labels.csv"
    # Saved by Excel: UTF-8 with a byte-order mark before the header.
    labels.write_bytes("\ufefffile,start_frame,end_frame,label\n".encode() + "\n".join([
        "take.bvh,1,10,wave",                 # 2: fine
        "../elsewhere/x.bvh,1,10,wave",       # 3: outside
        "/etc/shadow,,,wave",                 # 4: absolute
        "/proc/self/environ,,,wave",          # 5: absolute
        "link.bvh,,,wave",                    # 6: a link leading outside
        "take.bvh,1,10,wave\x07 twice",       # 7: a control character in the label
        "take.bvh,1,10,tab\tin label",        # 8: a tab is one too
    ]).encode() + b"\n")
    segments, skipped = read_labels_csv(folder, labels)
    assert [(s.row, s.label) for s in segments] == [(2, "wave")]
    reasons = {s.row: s.reason for s in skipped}
    outside = "outside the BVH folder (files are named relative to it)"
    assert reasons == {3: outside, 4: outside, 5: outside, 6: outside,
                       7: "the label has a control character (U+0007)",
                       8: "the label has a control character (U+0009)"}
    descriptions = folder / "descriptions.txt"
    descriptions.write_text("\ufefftake\ta walk\n../elsewhere/x\tescape\n")
    segments, skipped = read_descriptions(folder, descriptions)
    assert [s.label for s in segments] == ["a walk"] and [s.reason for s in skipped] == [outside]


def one_line(done: subprocess.CompletedProcess) -> str:
    lines = [ln for ln in done.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, done.stderr
    return lines[0]


def test_bad_out_and_joint_maps_are_one_line_before_blender_starts(tmp_path):
    bvh(tmp_path / "take.bvh", 20)
    (tmp_path / "labels.csv").write_text("file,start_frame,end_frame,label\ntake.bvh,,,wave\n")
    args = ["templates", "import-bvh", str(tmp_path), "--labels", str(tmp_path / "labels.csv")]
    a_file = tmp_path / "a_file"
    a_file.write_text("x")
    done = run_cli(*args, "--out", str(a_file))
    assert done.returncode == 2 and one_line(done) == f"error: --out: {a_file} is a file, not a template folder"
    done = run_cli(*args, "--out", str(a_file / "below"))
    assert done.returncode == 2
    assert one_line(done) == f"error: --out: {a_file / 'below'}: cannot write the template folder (Not a directory)"
    if os.geteuid() != 0:  # root writes anywhere
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        done = run_cli(*args, "--out", str(locked))
        assert done.returncode == 2 and "cannot write the template folder (Permission denied)" in one_line(done)
    deep = tmp_path / "deep.json"
    deep.write_text('{"joints": ' + "[" * 100_000 + "]" * 100_000 + "}")
    done = run_cli(*args, "--joint-map", str(deep), "--out", str(tmp_path / "t"))
    assert done.returncode == 2
    assert one_line(done) == (f"error: --joint-map: {deep}: the joint map is nested too deeply to be one "
                              "(RecursionError while parsing)")
    flat = tmp_path / "flat.json"
    flat.write_text('{"joints": ["Hips"]}')
    done = run_cli(*args, "--joint-map", str(flat), "--out", str(tmp_path / "t"))
    assert done.returncode == 2 and one_line(done).startswith(f"error: --joint-map: {flat}: joints: missing")


def test_rows_refused_while_reading_are_reported_without_starting_blender(tmp_path):
    bvh(tmp_path / "nan.bvh", ["0 0 0 0 0 0\n", "0 nan 0 0 0 0\n"])
    bvh(tmp_path / "still.bvh", 3, frame_time="0")
    (tmp_path / "labels.csv").write_text("file,start_frame,end_frame,label\nnan.bvh,,,a\nstill.bvh,,,b\n")
    done = run_cli("templates", "import-bvh", str(tmp_path), "--labels", str(tmp_path / "labels.csv"))
    assert done.returncode == 1
    lines = [ln for ln in done.stderr.splitlines() if ln.strip()]
    assert lines == [
        f"skipped row 2 ({tmp_path / 'nan.bvh'}): {tmp_path / 'nan.bvh'}: frame 2: channel 2 is nan (NaN or "
        "infinite)",
        f"skipped row 3 ({tmp_path / 'still.bvh'}): {tmp_path / 'still.bvh'}: line 13: Frame Time: 0 (it must be "
        "a positive number of seconds)",
        "error: no template imported from 2 row(s)"]


@pytest.mark.blender
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT])
def test_a_signal_during_an_import_leaves_no_temporary_file(tmp_path, sig):
    from tests.addon.test_addon import canonical_bvh

    (tmp_path / "take.bvh").write_text(canonical_bvh(frames=40))
    (tmp_path / "labels.csv").write_text("file,start_frame,end_frame,label\n" +
                                         "".join(f"take.bvh,1,{20 + k},move {k}\n" for k in range(40)))
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    env = {**os.environ, "TMPDIR": str(scratch)}
    synthact = Path(sys.executable).with_name("synthact")
    proc = subprocess.Popen([str(synthact), "templates", "import-bvh", str(tmp_path), "--labels",
                             str(tmp_path / "labels.csv"), "--max-skate", "1.0"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=restore_sigint)
    try:
        deadline = time.monotonic() + 300
        # Stop it once Blender has exported a template: the temporary folder is in use then.
        while time.monotonic() < deadline and not list((tmp_path / "templates").glob("*.json")):
            assert proc.poll() is None, proc.communicate()
            time.sleep(0.2)
        assert list(scratch.glob("synthact-import-*")), "the import's temporary folder was not found"
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, err
    assert err.strip().splitlines()[-1] == ("error: interrupted: the templates exported so far are in place, nothing "
                                            "temporary is left")
    assert list(scratch.iterdir()) == []
    assert len(list((tmp_path / "templates").glob("*.json"))) < 40


@pytest.mark.parametrize("over", [1, 1000])
def test_reading_limits_are_crossed_with_one_reason(tmp_path, over):
    """A BVH line over MAX_LINE_BYTES, a hierarchy over MAX_HIERARCHY_LINES without MOTION, and a joint map
    over MAX_JOINT_MAP_BYTES: one reason each, nothing half-written; at the limit each is read."""
    from render_farm.templates.bvh_cut import MAX_HIERARCHY_LINES, MAX_LINE_BYTES
    from render_farm.templates.mocap import MAX_JOINT_MAP_BYTES, MocapLabelsError, check_joint_map_file

    long_row = tmp_path / "long_row.bvh"
    bvh(long_row, ["0 0 0 0 0 0" + " " * (MAX_LINE_BYTES - 11 - 1 + over) + "\n"])
    with pytest.raises(BvhSegmentError, match=rf"^{long_row}: line 14 is longer than 1024 KiB$"):
        cut_segment(long_row, None, None, tmp_path / "cut.bvh")
    assert not (tmp_path / "cut.bvh").exists()
    at_limit = tmp_path / "at_limit.bvh"
    bvh(at_limit, ["0 0 0 0 0 0" + " " * (MAX_LINE_BYTES - 12 - 1) + "\n"])
    assert cut_segment(at_limit, None, None, tmp_path / "cut.bvh").frames == 1

    endless = tmp_path / "endless.bvh"
    endless.write_text("HIERARCHY\n" + "ROOT Hips\n" * (MAX_HIERARCHY_LINES - 1 + over))
    with pytest.raises(BvhSegmentError, match=rf"^{endless}: no MOTION section in the first "
                                              rf"{MAX_HIERARCHY_LINES} lines$"):
        cut_segment(endless, None, None, tmp_path / "cut.bvh")

    big = tmp_path / "big.json"
    body = '{"joints": {"Hips": "pelvis"}}'
    big.write_text(body + " " * (MAX_JOINT_MAP_BYTES - len(body)))
    check_joint_map_file(big)  # at the limit: read
    big.write_text(body + " " * (MAX_JOINT_MAP_BYTES - len(body) + over))
    with pytest.raises(MocapLabelsError, match=r"the joint map file is 1\.0 MiB, over the limit of 1 MiB$"):
        check_joint_map_file(big)
