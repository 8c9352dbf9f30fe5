"""examples/notebooks/backprop_tour.ipynb runs top to bottom: through nbclient and a Jupyter kernel
when both are installed (the test extra), else by executing its code cells in order here."""

import json
import os
from pathlib import Path

NOTEBOOK = Path(__file__).resolve().parents[2] / "examples" / "notebooks" / "backprop_tour.ipynb"


def code_cells():
    return [
        "".join(c["source"])
        for c in json.loads(NOTEBOOK.read_text())["cells"]
        if c["cell_type"] == "code"
    ]


def _kernel_available():
    try:
        import nbclient  # noqa: F401
        import nbformat  # noqa: F401
        from jupyter_client.kernelspec import KernelSpecManager

        return "python3" in KernelSpecManager().find_kernel_specs()
    except Exception:
        return False


def test_the_tour_runs(tmp_path, monkeypatch):
    monkeypatch.setenv("MPLBACKEND", "Agg")
    if _kernel_available():
        import nbclient
        import nbformat

        nb = nbformat.read(NOTEBOOK, as_version=4)
        client = nbclient.NotebookClient(
            nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
        )
        client.execute()
        text = "\n".join(
            o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs
        )
        errors = [
            o
            for c in nb.cells
            if c.cell_type == "code"
            for o in c.outputs
            if o.output_type == "error"
        ]
        assert not errors
    else:
        import contextlib
        import io

        buffer, ns = io.StringIO(), {"__name__": "__tour__"}
        with contextlib.redirect_stdout(buffer):
            for source in code_cells():
                exec(compile(source, str(NOTEBOOK), "exec"), ns)
        text = buffer.getvalue()
    assert "Cube: backward agrees" in text and "WrongCube: input 0" in text
    assert "was modified in place" in text and "conv2d_" in text
    assert "bytes of Chrome trace" in text


def test_the_notebook_is_stored_without_outputs():
    cells = json.loads(NOTEBOOK.read_text())["cells"]
    assert all(not c.get("outputs") for c in cells if c["cell_type"] == "code")
    assert os.path.getsize(NOTEBOOK) < 50_000
