"""Trust in a project's plugin folder: per user, by the hash of every file in it."""

from __future__ import annotations

from pathlib import Path

import pytest

from studio.plugins.trust import TrustStore, folder_fingerprint
from tests.plugin_helpers import FORMAT_PLUGIN, write_project_plugin

pytestmark = pytest.mark.usefixtures("isolated_plugins")


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return write_project_plugin(tmp_path / "birds.studio", "local", FORMAT_PLUGIN).parent


def test_a_folder_is_untrusted_until_the_user_trusts_it(folder: Path) -> None:
    store = TrustStore()
    assert not store.is_trusted(folder)

    fingerprint = store.trust(folder)

    assert store.is_trusted(folder)
    assert fingerprint == folder_fingerprint(folder)


@pytest.mark.parametrize("change", ["edit", "add", "remove", "rename"])
def test_changing_adding_removing_or_renaming_a_file_asks_again(folder: Path, change: str) -> None:
    store = TrustStore()
    helper = folder / "helper.py"
    helper.write_text("VALUE = 1\n", encoding="utf-8")
    store.trust(folder)

    if change == "edit":
        helper.write_text("VALUE = 2\n", encoding="utf-8")
    elif change == "add":
        (folder / "data" / "rules.txt").parent.mkdir()
        (folder / "data" / "rules.txt").write_text("crow\n", encoding="utf-8")
    elif change == "remove":
        helper.unlink()
    else:
        helper.rename(folder / "helper2.py")

    assert not store.is_trusted(folder)


def test_python_caches_do_not_change_the_fingerprint(folder: Path) -> None:
    store = TrustStore()
    store.trust(folder)

    (folder / "__pycache__").mkdir()
    (folder / "__pycache__" / "local.cpython-311.pyc").write_bytes(b"compiled")

    assert store.is_trusted(folder)


def test_trust_is_per_user(folder: Path, tmp_path: Path) -> None:
    TrustStore().trust(folder)

    assert not TrustStore(tmp_path / "another-user").is_trusted(folder)


def test_forgetting_a_folder_stops_trusting_it(folder: Path) -> None:
    store = TrustStore()
    store.trust(folder)

    store.forget(folder)

    assert not store.is_trusted(folder)


def test_an_unreadable_trust_list_trusts_nothing(folder: Path, isolated_plugins: Path) -> None:
    store = TrustStore()
    store.trust(folder)
    store.path.write_text("{not json", encoding="utf-8")

    assert not store.is_trusted(folder)
    store.trust(folder)
    assert store.is_trusted(folder)
