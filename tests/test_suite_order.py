"""The order the suite's files run in (tests/conftest.py): every file it names exists, and `make test` keeps it."""

from __future__ import annotations

import re

from tests.conftest import LONGEST_FILES_FIRST, REPO, file_order


def test_every_file_named_longest_first_exists_once():
    missing = [name for name in LONGEST_FILES_FIRST if not (REPO / name).is_file()]
    assert missing == [], f"tests/conftest.py names test files that are gone: {missing}"
    assert len(set(LONGEST_FILES_FIRST)) == len(LONGEST_FILES_FIRST)


def test_listed_files_go_first_and_the_others_after_them():
    assert [file_order(name) for name in LONGEST_FILES_FIRST] == list(range(len(LONGEST_FILES_FIRST)))
    assert file_order("tests/core/test_wire.py") == len(LONGEST_FILES_FIRST)


def test_make_keeps_the_order_instead_of_xdists_own():
    makefile = (REPO / "Makefile").read_text()
    (options,) = re.findall(r"^PYTEST_PARALLEL := (.*)$", makefile, flags=re.M)
    assert options.split() == ["-n", "$(TEST_WORKERS)", "--dist", "loadfile", "--no-loadscope-reorder"]
