"""The face arithmetic figure, laid out like Radford et al.'s (DCGAN figure 7) and the lecture's
slide: per equation, three columns (three samples of a concept stacked, the face of their mean
z below), the minus, plus and equals signs between them, and the result with its eight
neighbours as a 3x3 block, the result itself in the middle."""

from .gan import tile_images

CELL = 0.9  # inches per 64x64 face
SIGN = 0.6  # width of a sign's gap, in cells


def save_face_arithmetic(rows, path, title=None, value_range=(-1.0, 1.0), dpi=80):
    """rows: one dict per equation with "names" (three captions), "samples" (three arrays
    (3, 3, 64, 64): a concept's samples), "means" (three (3, 64, 64): the face of each mean z),
    "results" (9, 3, 64, 64): the result first, then its neighbours) and "result_name".
    Writes a PNG at ``path``; returns path."""
    import textwrap

    import numpy as np
    from matplotlib.figure import Figure

    if not rows:
        raise ValueError("save_face_arithmetic: no rows to draw")
    for i, row in enumerate(rows):
        if len(row["samples"]) != 3 or len(row["means"]) != 3 or len(row["results"]) != 9:
            raise ValueError(
                f"save_face_arithmetic: row {i} needs 3 sample columns, 3 means and 9 results, "
                f"got {len(row['samples'])}, {len(row['means'])} and {len(row['results'])}"
            )
    width = 3 + 3 * SIGN + 3 + 0.2
    block = 3 + 0.25 + 1 + 0.9  # three samples, a gap, the mean face, two caption lines
    head = 0.5 if title else 0.1
    fig = Figure(figsize=(width * CELL, (len(rows) * block + head) * CELL))
    fw, fh = width, len(rows) * block + head

    def axes(x, y, w, h):  # in cells, y from the top
        ax = fig.add_axes([x / fw, 1 - (y + h) / fh, w / fw, h / fh])
        ax.set_xticks([])
        ax.set_yticks([])
        for side in ax.spines.values():
            side.set_visible(False)
        return ax

    def show(ax, images, ncol):
        ax.imshow(tile_images(np.asarray(images), ncol, 1, value_range), interpolation="nearest")

    for i, row in enumerate(rows):
        top = head + i * block + 0.6
        x = 0.1
        for j in range(3):
            ax = axes(x, top, 1, 3)
            show(ax, row["samples"][j], 1)
            ax.set_title(textwrap.fill(row["names"][j], 13), fontsize=9)
            show(axes(x, top + 3.25, 1, 1), [row["means"][j]], 1)
            sign = ("\u2212", "+", "=")[j]
            fig.text(
                (x + 1 + SIGN / 2) / fw,
                1 - (top + 2.0) / fh,
                sign,
                ha="center",
                va="center",
                fontsize=18,
            )
            x += 1 + SIGN
        results = np.asarray(row["results"])
        order = [1, 2, 3, 4, 0, 5, 6, 7, 8]  # the result in the middle of the 3x3 block
        ax = axes(x, top + 0.6, 3, 3)
        show(ax, results[order], 3)
        ax.set_title(row.get("result_name", "result"), fontsize=9)
    if title:
        fig.suptitle(title, fontsize=11)
    fig.savefig(path, dpi=dpi)
    return path
