"""tinynet.plot's training-result figures: curves, image grids, confusion matrix; each written as
a PNG that matplotlib reads back."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.image as mpimg  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from hypothesis import given  # noqa: E402
from hypothesis import strategies as st

from tinynet import plot  # noqa: E402
from tinynet.callbacks import History  # noqa: E402

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def saved_png(fig, path):
    """Save ``fig``, check the file is a PNG matplotlib can read; return the pixels (H, W, 4)."""
    fig.savefig(path, dpi=50)
    plt.close(fig)
    assert path.read_bytes()[:8] == PNG_SIGNATURE
    pixels = mpimg.imread(path)
    assert pixels.ndim == 3 and pixels.shape[0] > 20 and pixels.shape[1] > 20
    assert pixels[..., :3].std() > 0  # something is drawn
    return pixels


def history(epochs=4, val=True):
    h = History()
    for e in range(epochs):
        logs = {"loss": 1.0 / (e + 1), "acc": 0.5 + 0.1 * e}
        if val:
            logs.update(val_loss=1.2 / (e + 1), val_acc=0.45 + 0.1 * e)
        h.on_epoch_end(e, logs)
    return h


def test_history_panels_and_lines(tmp_path):
    fig = plot.plot_history(history(), title="t")
    axes = fig.axes
    assert [ax.get_ylabel() for ax in axes] == ["accuracy", "loss"]
    assert [len(ax.get_lines()) for ax in axes] == [2, 2]
    np.testing.assert_allclose(
        axes[1].get_lines()[1].get_ydata(), [1.2 / (e + 1) for e in range(4)]
    )
    saved_png(fig, tmp_path / "curves.png")


def test_history_dict_without_validation(tmp_path):
    fig = plot.plot_history(history(3, val=False).history, metrics=("loss",))
    assert len(fig.axes) == 1 and len(fig.axes[0].get_lines()) == 1
    saved_png(fig, tmp_path / "loss.png")


def test_history_names_missing_metrics():
    with pytest.raises(ValueError, match="plot_history.*'mae'.*acc"):
        plot.plot_history(history(), metrics=("mae",))


@pytest.mark.parametrize(
    "shape, dtype", [((5, 1, 28, 28), np.float32), ((11, 3, 32, 32), np.uint8)]
)
def test_image_grid_titles(tmp_path, shape, dtype, rng):
    images = (rng.random(shape) * (255 if dtype == np.uint8 else 1)).astype(dtype)
    labels = np.arange(shape[0]) % 3
    predicted = (labels + (np.arange(shape[0]) % 2)) % 3
    fig = plot.plot_image_grid(
        images, labels, predicted, class_names=["cat", "dog", "ship"], ncols=4
    )
    titled = [ax for ax in fig.axes if ax.get_title()]
    assert len(titled) == shape[0]
    assert titled[1].get_title() == "dog\n→ ship"
    assert titled[0].get_title() == "cat\n→ cat"
    saved_png(fig, tmp_path / "grid.png")


def test_image_grid_rejects_bad_shapes(rng):
    with pytest.raises(ValueError, match="plot_image_grid.*images.*labels"):
        plot.plot_image_grid(rng.random((4, 1, 8, 8)), [0, 1, 2])
    with pytest.raises(ValueError, match=r"plot_image_grid: expected images \(N, 1 or 3, H, W\)"):
        plot.plot_image_grid(rng.random((2, 8, 8, 3)), [0, 1])


def test_misclassified_shows_only_the_wrong_ones(tmp_path, rng):
    images = rng.random((20, 1, 8, 8)).astype(np.float32)
    labels = np.arange(20) % 10
    predicted = labels.copy()
    predicted[[3, 7, 12]] = (labels[[3, 7, 12]] + 1) % 10
    fig = plot.plot_misclassified(images, labels, predicted)
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert titles == ["3\n→ 4", "7\n→ 8", "2\n→ 3"]
    assert "3 of 20" in fig._suptitle.get_text()
    saved_png(fig, tmp_path / "wrong.png")
    saved_png(plot.plot_misclassified(images, labels, labels), tmp_path / "none.png")


@given(st.lists(st.tuples(st.integers(0, 5), st.integers(0, 5)), min_size=1, max_size=60))
def test_confusion_matrix_counts_pairs(pairs):
    labels, predicted = np.array(pairs).T
    counts = plot.confusion_matrix(labels, predicted, classes=6)
    expected = np.zeros((6, 6), int)
    for t, p in pairs:
        expected[t, p] += 1
    np.testing.assert_array_equal(counts, expected)


def test_confusion_matrix_errors():
    with pytest.raises(ValueError, match="3 labels but 2 predictions"):
        plot.confusion_matrix([0, 1, 2], [0, 1])
    with pytest.raises(ValueError, match=r"0\.\.2"):
        plot.confusion_matrix([0, 1, 3], [0, 1, 2], classes=3)


def test_confusion_figure(tmp_path):
    labels = np.array([0, 0, 1, 1, 2, 2, 2])
    predicted = np.array([0, 1, 1, 1, 2, 0, 2])
    fig = plot.plot_confusion_matrix(labels, predicted, ["a", "b", "c"])
    ax = fig.axes[0]
    assert "71.43%" in ax.get_title()  # 5 of 7 on the diagonal
    cells = {t.get_text() for t in ax.texts}
    assert cells == {"1", "2"}
    np.testing.assert_allclose(ax.images[0].get_array()[0], [0.5, 0.5, 0])
    saved_png(fig, tmp_path / "confusion.png")


# ---- issue 19's pictures: legends off the data, labelled axes, integer epochs, sizes, colour bar


def _legend_outside(ax):
    """The legend's box does not overlap the axes' plotting area."""
    fig = ax.figure
    fig.canvas.draw()
    legend = ax.get_legend().get_window_extent()
    area = ax.get_window_extent()
    return not legend.overlaps(area)


def test_one_epoch_curves_have_one_integer_tick():
    fig = plot.plot_history(history(1))
    for ax in fig.axes:
        assert list(ax.get_xticks()) == [1]
    fig20 = plot.plot_history(history(20))
    ticks = fig20.axes[0].get_xticks()
    assert all(float(t).is_integer() for t in ticks)
    plt.close("all")


def test_gan_losses_and_class_histogram_keep_their_legends_off_the_data(tmp_path, rng):
    from matplotlib.figure import Figure

    from tinynet.gan import LossRecorder

    rec = LossRecorder()
    for step in range(60):
        rec.on_batch_end(step, {"d_loss": 0.7 + 0.1 * rng.random(), "g_loss": 1.4, "d_acc": 0.6})
    fig = Figure(figsize=(7, 4))
    ax = plot.plot_gan_losses(rec, fig.add_subplot(1, 1, 1))
    fig.tight_layout()
    assert _legend_outside(ax) and len(ax.get_legend().get_texts()) == 3
    plot.save_gan_losses(rec, tmp_path / "losses.png")
    fig = Figure(figsize=(6, 3))
    ax = plot.plot_class_histogram(rng.dirichlet(np.ones(10)), fig.add_subplot(1, 1, 1))
    fig.tight_layout()
    assert _legend_outside(ax)
    assert ax.get_xlabel() and ax.get_ylabel() == "share of samples"


def test_sample_grid_is_large_with_a_readable_title(tmp_path, rng):
    path = plot.save_sample_grid(
        rng.uniform(-1, 1, (100, 1, 28, 28)), tmp_path / "grid.png", title="samples"
    )
    pixels = mpimg.imread(path)
    assert pixels.shape[0] >= 600 and pixels.shape[1] >= 600  # was 368 x 344


def test_importance_map_has_a_colour_bar(tmp_path, rng):
    ax = plot.plot_importance_map(rng.random(784), (28, 28))
    assert len(ax.figure.axes) == 2  # the image and its colour bar
    assert ax.figure.axes[1].get_ylabel() == "share of the impurity decrease"
    saved_png(ax.figure, tmp_path / "importances.png")
    with pytest.raises(ValueError, match="784 importances do not fill"):
        plot.plot_importance_map(rng.random(784), (28, 27))
