"""Publishing a bundle folder and its zip through `studio.core.staging`."""

from __future__ import annotations

from pathlib import Path

import pytest

from studio.core.staging import staged_output
from studio.ml.export import bundle_writer
from tests.conftest import modes


def _publish_bundle(out: Path) -> None:
    with staged_output(out) as staged:
        folder = staged.make_folder()
        bundle_writer.copy_runtime(folder)
        bundle_writer.write_json(folder / bundle_writer.MANIFEST_NAME, {"task": "classification"})
        bundle_writer.publish(staged, overwrite=False)


@pytest.mark.usefixtures("umask_022")
def test_a_bundle_and_its_zip_get_the_usual_permissions_not_private_ones(tmp_path: Path) -> None:
    out = tmp_path / "bundle"
    _publish_bundle(out)
    archive = bundle_writer.write_zip(out, bundle_writer.zip_path_of(out))
    assert modes(out) == {("dir", 0o755), ("file", 0o644)}
    assert archive.stat().st_mode & 0o777 == 0o644
    assert sorted(path.name for path in tmp_path.iterdir()) == ["bundle", "bundle.zip"]
