"""Every supported dataset layout parses from a small fixture tree; errors name the file and line."""

import pytest

from training.data.lists import DatasetListError, detect_layout, load_video_list


def touch(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"")
    return path


def test_synthact_layout(tmp_path):
    (tmp_path / "classes.txt").write_text("walk\nwave\n")
    touch(tmp_path / "clips/walk/a.mp4")
    touch(tmp_path / "clips/wave/b.mp4")
    (tmp_path / "train.txt").write_text("clips/walk/a.mp4 0\nclips/wave/b.mp4 1\n")
    vl = load_video_list(tmp_path, "train")
    assert detect_layout(tmp_path) == "synthact"
    assert vl.classes == ["walk", "wave"] and [i for _, i in vl.items] == [0, 1]
    (tmp_path / "train.txt").write_text("clips/walk/a.mp4 0\nclips/wave/b.mp4 7\n")
    with pytest.raises(DatasetListError, match=r"train.txt:2: class index 7 is not in the class index"):
        load_video_list(tmp_path, "train")
    (tmp_path / "train.txt").write_text("clips/walk/a.mp4 0\nclips/walk/missing.mp4 0\n")
    with pytest.raises(DatasetListError, match=r"train.txt:2: video .*missing.mp4 does not exist"):
        load_video_list(tmp_path, "train")
    (tmp_path / "train.txt").write_text("clips/walk/a.mp4\n")
    with pytest.raises(DatasetListError, match=r"train.txt:1: malformed line"):
        load_video_list(tmp_path, "train")


def test_ucf101_layout(tmp_path):
    (tmp_path / "classInd.txt").write_text("1 ApplyEyeMakeup\n2 Archery\n")
    touch(tmp_path / "ApplyEyeMakeup/v_ApplyEyeMakeup_g01_c01.avi")
    touch(tmp_path / "Archery/v_Archery_g01_c01.avi")
    (tmp_path / "trainlist01.txt").write_text(
        "ApplyEyeMakeup/v_ApplyEyeMakeup_g01_c01.avi 1\nArchery/v_Archery_g01_c01.avi 2\n")
    (tmp_path / "testlist01.txt").write_text("Archery/v_Archery_g01_c01.avi\n")
    assert detect_layout(tmp_path) == "ucf101"
    train = load_video_list(tmp_path, "train")
    test = load_video_list(tmp_path, "test")
    assert train.classes == ["ApplyEyeMakeup", "Archery"] and [i for _, i in train.items] == [0, 1]
    assert [i for _, i in test.items] == [1]
    (tmp_path / "testlist01.txt").write_text("Archery/v_Archery_g01_c01.avi\nBowling/v_Bowling_g01_c01.avi\n")
    with pytest.raises(DatasetListError, match=r"testlist01.txt:2: class 'Bowling' is not in classInd.txt"):
        load_video_list(tmp_path, "test")
    (tmp_path / "classInd.txt").write_text("1 ApplyEyeMakeup\nArchery\n")
    with pytest.raises(DatasetListError, match=r"classInd.txt:2: malformed line"):
        load_video_list(tmp_path, "train")


def test_hmdb51_layout(tmp_path):
    for cls in ("brush_hair", "cartwheel"):
        lines = []
        for k, tag in enumerate(("1", "2", "0")):
            touch(tmp_path / cls / f"{cls}_{k}.avi")
            lines.append(f"{cls}_{k}.avi {tag}")
        (tmp_path / f"{cls}_test_split1.txt").write_text("\n".join(lines) + "\n")
    assert detect_layout(tmp_path) == "hmdb51"
    train = load_video_list(tmp_path, "train")
    test = load_video_list(tmp_path, "test")
    assert train.classes == ["brush_hair", "cartwheel"]
    assert [p.name for p, _ in train.items] == ["brush_hair_0.avi", "cartwheel_0.avi"]
    assert [p.name for p, _ in test.items] == ["brush_hair_1.avi", "cartwheel_1.avi"]
    (tmp_path / "cartwheel_test_split1.txt").write_text("cartwheel_0.avi 3\n")
    with pytest.raises(DatasetListError, match=r"cartwheel_test_split1.txt:1: malformed line"):
        load_video_list(tmp_path, "train")


def test_folder_per_class(tmp_path):
    touch(tmp_path / "b_class/x.mp4")
    touch(tmp_path / "a_class/y.avi")
    touch(tmp_path / "a_class/notes.txt")
    vl = load_video_list(tmp_path)
    assert vl.classes == ["a_class", "b_class"]
    assert [(p.name, i) for p, i in vl.items] == [("y.avi", 0), ("x.mp4", 1)]


def test_generic_lists_space_semicolon_names_and_csv(tmp_path):
    touch(tmp_path / "v/a b.mp4")
    touch(tmp_path / "v/c.mp4")
    (tmp_path / "space.txt").write_text("v/c.mp4 1\n")
    (tmp_path / "semi.txt").write_text("v/a b.mp4;0\nv/c.mp4;1\n")
    (tmp_path / "names.txt").write_text("v/a b.mp4 jump\nv/c.mp4 run\n")
    (tmp_path / "list.csv").write_text("id,path,label\n1,v/a b.mp4,0\n2,v/c.mp4,1\n")
    assert [i for _, i in load_video_list(tmp_path / "space.txt").items] == [1]
    semi = load_video_list(tmp_path / "semi.txt")
    assert [(p.name, i) for p, i in semi.items] == [("a b.mp4", 0), ("c.mp4", 1)]
    names = load_video_list(tmp_path / "names.txt")
    assert names.classes == ["jump", "run"] and [i for _, i in names.items] == [0, 1]
    assert [i for _, i in load_video_list(tmp_path / "list.csv").items] == [0, 1]
    (tmp_path / "classes.txt").write_text("jump\nrun\n")
    (tmp_path / "bad_names.txt").write_text("v/c.mp4 swim\n")
    with pytest.raises(DatasetListError, match=r"bad_names.txt:1: class 'swim' is not in the class index"):
        load_video_list(tmp_path / "bad_names.txt", classes_file=tmp_path / "classes.txt")
    (tmp_path / "bad.csv").write_text("file,label\nv/c.mp4,1\n")
    with pytest.raises(DatasetListError, match=r"bad.csv:1: CSV header must name 'path' and 'label'"):
        load_video_list(tmp_path / "bad.csv")
    (tmp_path / "short.csv").write_text("path,label\nv/c.mp4\n")
    with pytest.raises(DatasetListError, match=r"short.csv:2: malformed line"):
        load_video_list(tmp_path / "short.csv")
