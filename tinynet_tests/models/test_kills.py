"""kill -9 at random instants: a save leaves the old file or the new one, never a broken one, and
the next save sweeps the dead writer's temporary file; a checkpointed fit resumed after a kill
finds a model and run state from the same epoch, also when killed between the model file and the
JSON copy."""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

from tinynet.models import load_model
from tinynet.models.checkpoint import resume

TRIALS = 6


def _child(tmp_path, code):
    script = tmp_path / "child.py"
    script.write_text(textwrap.dedent(code))
    return subprocess.Popen(
        [sys.executable, str(script)],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONHASHSEED": "0"},
    )


def _wait_ready(proc, tmp_path):
    deadline = time.monotonic() + 30
    while not (tmp_path / "ready").exists():
        if proc.poll() is not None:
            pytest.fail(f"the child died: {proc.stderr.read().decode()[-2000:]}")
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail("the child never got ready")
        time.sleep(0.01)


SAVER = """
    import numpy as np
    from pathlib import Path
    from tinynet.layers import Dense
    from tinynet.models import Sequential

    model = Sequential([Dense(256, input_shape=(256,)), Dense(64)])
    model.compile("adam", "mse")
    k = 0
    while True:
        model.set_weights([np.full(w.shape, k, w.dtype) for w in model.get_weights()])
        model.save("model.tnz")
        Path("ready").touch()
        k += 1
"""


def test_kill_during_save_leaves_a_whole_file_and_the_next_save_sweeps(tmp_path):
    rng = np.random.default_rng(0)
    seen = set()
    for _ in range(TRIALS):
        proc = _child(tmp_path, SAVER)
        _wait_ready(proc, tmp_path)
        time.sleep(rng.uniform(0, 0.3))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        (tmp_path / "ready").unlink()
        model = load_model(tmp_path / "model.tnz")  # never half a file
        values = {float(np.unique(w)[0]) for w in model.get_weights()}
        assert len(values) == 1  # every weight from the same save
        seen |= values
    leftovers = [p for p in os.listdir(tmp_path) if p.endswith(".tmp")]
    model.save(tmp_path / "model.tnz")  # sweeps the temporary files of the dead writers
    assert [p for p in os.listdir(tmp_path) if p.endswith(".tmp")] == []
    assert len(seen) >= 2, seen
    print(f"{TRIALS} kills, {len(leftovers)} temporary files left and swept")


CHECKPOINTER = """
    import os, signal, sys
    import numpy as np
    from pathlib import Path
    from tinynet import backend
    from tinynet.callbacks import Callback
    from tinynet.layers import Dense
    from tinynet.models import Sequential, checkpoint

    kill_between = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    if kill_between:  # die after the model file of that epoch, before its JSON copy
        real = checkpoint._write_json_atomic

        def write(path, state):
            if state["epochs"] == kill_between:
                os.kill(os.getpid(), signal.SIGKILL)
            real(path, state)

        checkpoint._write_json_atomic = write

    class Ready(Callback):
        def on_epoch_end(self, epoch, logs=None):
            Path("ready").touch()

    backend.seed(0)
    model, state = checkpoint.resume("out")
    if model is None:
        model = Sequential([Dense(32, input_shape=(8,), activation="relu"), Dense(1)])
        model.compile("adam", "mse")
    x = np.random.default_rng(0).normal(size=(64, 8)).astype("float32")
    y = x.sum(axis=1, keepdims=True)
    timer = checkpoint.EpochTimer()
    ckpt = checkpoint.RunCheckpoint("out", timer, state)
    model.fit(x, y, batch_size=16, epochs=10_000, initial_epoch=ckpt.epochs_done, verbose=0,
              callbacks=[timer, ckpt, Ready()])
"""


def _check_pair(out):
    model, state = resume(out)
    assert model is not None
    epochs = state["epochs"]
    assert model.optimizer.iterations == 4 * epochs  # the model and the state of one epoch
    assert len(state["history"]["loss"]) == epochs == len(state["epoch_seconds"])
    return epochs


def test_kill_between_the_model_file_and_its_json_copy(tmp_path):
    script = tmp_path / "child.py"
    script.write_text(textwrap.dedent(CHECKPOINTER))
    proc = subprocess.run(
        [sys.executable, str(script), "3"], cwd=tmp_path, capture_output=True, timeout=60
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr.decode()[-2000:]
    stale = json.loads((tmp_path / "out" / "checkpoint.json").read_text())
    assert stale["epochs"] == 2  # the readable copy lags ...
    assert (
        _check_pair(tmp_path / "out") == 3
    )  # ... but resume reads the state committed with the model


def test_kill_at_random_instants_then_resume_goes_on(tmp_path):
    rng = np.random.default_rng(1)
    done = 0
    for _ in range(TRIALS - 2):
        proc = _child(tmp_path, CHECKPOINTER)
        _wait_ready(proc, tmp_path)
        time.sleep(rng.uniform(0, 0.2))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        (tmp_path / "ready").unlink()
        epochs = _check_pair(tmp_path / "out")
        assert epochs > done  # each session finished at least one epoch more
        done = epochs


def test_a_truncated_checkpoint_json_is_named(tmp_path):
    from tinynet.layers import Dense
    from tinynet.models import Sequential
    from tinynet.models.checkpoint import CheckpointError

    out = tmp_path / "out"
    out.mkdir()
    model = Sequential([Dense(1, input_shape=(2,))])
    model.compile("sgd", "mse")
    model.save(out / "checkpoint.tnz")  # an old-style checkpoint: state only in the JSON file
    (out / "checkpoint.json").write_text('{"epochs": 3, "hist')
    with pytest.raises(CheckpointError, match=r"checkpoint.json: the run state cannot be read"):
        resume(out)
