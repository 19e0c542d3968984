"""The example notebook of docs/recherche.md (issue #18), executed on the dashboard's
sample release: it joins two datasets with SQL, follows schools over time and cites the
release, without an error."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ardoise.settings import Settings

NOTEBOOK = Path(__file__).resolve().parents[2] / "docs" / "exemples" / "recherche.ipynb"


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # jupyter_client, zmq
def test_the_example_notebook_runs(
    dash_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    release = (dash_settings.var_dir / "current").resolve()
    monkeypatch.setenv("ARDOISE_RELEASE_DIR", str(release))
    monkeypatch.setenv("PYTHONPATH", str(Path(__file__).resolve().parents[2] / "src"))
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbclient.NotebookClient(nb, timeout=120, kernel_name="python3").execute()
    text = "\n".join(
        o.get("text", "") or str(o.get("data", {}).get("text/plain", ""))
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.outputs
    )
    assert f"{release.name} " in text  # the release was read
    joined = re.search(r"(\d+) établissements \(10 au plus\)", text)
    followed = re.search(r"[0-9]{7}[A-Z] : (\d+) années", text)
    assert joined and int(joined.group(1)) > 0  # the two datasets share schools
    assert followed and int(followed.group(1)) >= 2  # a school followed over two years or more
    assert f"ark:/99999/fk4ardoise/{release.name}" in text  # the release is cited
