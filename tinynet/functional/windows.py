"""The sliding windows of a convolution: geometry, and how im2col / col2im and the GEMMs on the
columns run, one strategy per backend, chosen once by :func:`make_windows`.

im2col turns convolution into one GEMM, ``w (C_out, C*kh*kw) @ col (C*kh*kw, N*oh*ow)``, at the
price of a column matrix kh*kw times the size of the input; col2im, its adjoint, sums columns
back into an image. The strategies:

- :class:`BatchLastRows` (NumPy). Images are batch-last, (C, H, W, N) in memory (see
  :mod:`.layout`), and the columns are ordered (y, x, n): the columns of output rows [y0, y1) are
  one contiguous range of the full matrix, so col2im goes block by block (a few MiB each), each
  block summed into the image while it sits in cache. The GEMMs read no built columns:
  :meth:`BatchLastRows.expand` stores every padded input row kw times, once per kernel column j,
  shifted (and strided) so that the columns of output row y, with rows ordered (i, c, j), are the
  contiguous slice ``E[s*y : s*y + kh]`` of the expanded rows E (Hp, C, kw, ow, N). The input is
  copied kw times instead of kh*kw, and a backward pass multiplies the same views again instead of
  rebuilding columns. With row stride 1 the input gradient goes the other way, input row by input
  row (:meth:`BatchLastRows.fold_rows`), without col2im.
- :class:`ShiftedRows` (NumPy, stride 1, few output channels: :func:`shifts_rows`). No
  expanded rows: the padded input is kept once, one GEMM per output row multiplies the kw
  kernel columns stacked, and the kw products are added shifted by one column each.
- :class:`GenericColumns` (CuPy's layout, and any backend). Images are (C, N, H, W) in memory,
  the columns ordered (n, y, x), one block covers all rows, built and summed by one slice copy
  per kernel offset.
- :class:`CudaKernels` (CuPy). The columns of :class:`GenericColumns`, built and summed by fused
  CUDA kernels (:mod:`.cuda_kernels`), one launch each.

Every strategy offers the same GEMM interface (``gemm_source``, ``gemm_weights``,
``row_gemms``, ``kernel_gradient_t``, ``gemm_kernel``; the generic two on ``gemm_blocks`` and
``gemm_columns``) and the blocked col2im (``col2im_gemms`` on ``col2im_zeros``,
``col2im_add``, ``col2im_image``), so conv.py is written once.
"""

from .. import threads
from ..backend import get_array_module, is_gpu_array
from . import cuda_kernels
from ._args import out_size, pair, window_offsets
from .layout import is_batch_last, new_images, prefers_batch_last

BLOCK_BYTES = 4 << 20  # one block's column matrix: a few MiB, so it is summed while in cache
USE_CUDA_KERNELS = True  # False: CuPy runs the generic slice loops too (for comparison)


def make_windows(
    image_shape, kh, kw, stride, padding, like, batch_last=None, op=None, dilation=1, c_out=None
):
    """The windows of a kh x kw kernel (its cells ``dilation`` apart) over images (N, C, H, W)
    on the backend and dtype of the array ``like``, with the strategy for that backend:
    :class:`BatchLastRows` when the layout is batch-last (by default on NumPy; for conv2d's own
    GEMMs, given ``c_out``, :class:`ShiftedRows` where :func:`shifts_rows` says), else
    :class:`CudaKernels` on CuPy (unless ``USE_CUDA_KERNELS`` is off, or the kernel is dilated),
    else :class:`GenericColumns`. ``op`` names the caller in argument errors."""
    if batch_last is None:
        batch_last = prefers_batch_last(like)
    dilated = pair(dilation, "dilation", op=op) != (1, 1)
    if batch_last:
        cls = BatchLastRows
    elif USE_CUDA_KERNELS and is_gpu_array(like) and not dilated:
        cls = CudaKernels
    else:
        cls = GenericColumns
    win = cls(image_shape, kh, kw, stride, padding, like, op=op, dilation=dilation)
    if cls is BatchLastRows and c_out is not None and shifts_rows(win, c_out):
        win = ShiftedRows(image_shape, kh, kw, stride, padding, like, op=op, dilation=dilation)
    return win


USE_SHIFTED_ROWS = True  # False: every batch-last convolution on expanded rows (for comparison)


def shifts_rows(win, c_out):
    """Whether a conv2d with ``c_out`` output channels on the windows ``win`` runs its GEMMs on
    :class:`ShiftedRows`: stride 1, row dilation 1, kw >= 2, a short stack of kernel columns
    (kw*C_out <= 192) on a deep enough input (kh*C >= 48), and output rows of at least 4096
    numbers (ow*N): the shapes where it measured faster than expanded rows
    (docs/performance.md)."""
    return (
        USE_SHIFTED_ROWS
        and (win.sh, win.sw, win.dh) == (1, 1, 1)
        and win.kw >= 2
        and win.kw * c_out <= 192
        and win.kh * win.C >= 48
        and win.ow * win.N >= 4096
    )


def to_channel_major(x, ph=0, pw=0, fill=0, batch_last=False):
    """(N, C, H, W) -> a (C, N, H + 2ph, W + 2pw) view, padded with ``fill``, whose memory is
    (C, H, W, N) if ``batch_last``, else any order that x has (a view of x when no padding)."""
    xt = x.transpose(1, 0, 2, 3)
    if ph == 0 and pw == 0 and (not batch_last or is_batch_last(x)):
        return xt
    C, N, H, W = xt.shape
    out = new_images(
        get_array_module(x), (N, C, H + 2 * ph, W + 2 * pw), x.dtype, batch_last
    ).transpose(1, 0, 2, 3)
    if ph:
        out[:, :, :ph] = fill
        out[:, :, H + ph :] = fill
    if pw:
        out[:, :, ph : H + ph, :pw] = fill
        out[:, :, ph : H + ph, W + pw :] = fill
    out[:, :, ph : H + ph, pw : W + pw] = xt
    return out


class Windows:
    """The oh x ow windows of a kh x kw kernel, with ``stride``, ``padding`` and ``dilation``
    (the distance between kernel cells), over images of shape ``image_shape`` (N, C, H, W) on
    the backend and dtype of the array ``like``, cut into ``blocks`` of output rows (y0, y1). A
    subclass fixes the memory layout (``batch_last``), the order of the columns and how they are
    built; :func:`make_windows` picks it."""

    batch_last = False

    def __init__(self, image_shape, kh, kw, stride, padding, like, op=None, dilation=1):
        self.N, self.C, self.H, self.W = image_shape
        self.kh, self.kw = kh, kw
        (self.sh, self.sw), (self.ph, self.pw), (self.dh, self.dw) = (
            pair(stride, "stride", op=op),
            pair(padding, "padding", op=op),
            pair(dilation, "dilation", op=op),
        )
        self.oh = out_size(self.H, self.dh * (kh - 1) + 1, self.sh, self.ph)
        self.ow = out_size(self.W, self.dw * (kw - 1) + 1, self.sw, self.pw)
        self.xp, self.dtype = get_array_module(like), like.dtype
        self.k = self.C * kh * kw
        self.blocks = [(0, self.oh)]

    def column_range(self, y0, y1):
        """Where the columns of output rows [y0, y1) sit in the full (C*kh*kw, N*oh*ow) matrix."""
        raise NotImplementedError

    # ----- im2col and col2im by slice loops, one copy per kernel offset -----
    def source(self, x):
        """What :meth:`im2col` reads for the images x: their padded, channel-major view
        (C, N, Hp, Wp) in this layout."""
        return to_channel_major(x, self.ph, self.pw, batch_last=self.batch_last)

    def im2col(self, src, y0, y1):
        """The (C*kh*kw, (y1 - y0)*ow*N) columns of output rows [y0, y1): rows ordered (c, i, j)
        like ``w.reshape(C_out, -1)``, each column the window under one output pixel."""
        col = self.xp.empty((self.k, (y1 - y0) * self.ow * self.N), dtype=self.dtype)
        view = self._view(col, y1 - y0, self.C)
        for i, j, rows, cols in window_offsets(
            self.kh, self.kw, self.sh, self.sw, y1 - y0, self.ow, y0, self.dh, self.dw
        ):
            view[:, i, j] = src[:, :, rows, cols]
        return col

    def col2im_zeros(self):
        """A zero padded image for :meth:`col2im_add` to sum into."""
        shape = (self.N, self.C, self.H + 2 * self.ph, self.W + 2 * self.pw)
        return new_images(self.xp, shape, self.dtype, self.batch_last, fill=0).transpose(1, 0, 2, 3)

    def col2im_add(self, total, col, y0, y1, channels=None):
        """col2im of one block: add each column of output rows [y0, y1) onto its window of
        ``total`` (from :meth:`col2im_zeros`); returns ``total``. ``channels`` (a slice): col
        holds only those channels' rows, added to those channels of total."""
        c = channels if channels is not None else slice(0, self.C)
        view, part = self._view(col, y1 - y0, c.stop - c.start), total[c]
        for i, j, rows, cols in window_offsets(
            self.kh, self.kw, self.sh, self.sw, y1 - y0, self.ow, y0, self.dh, self.dw
        ):
            part[:, :, rows, cols] += view[:, i, j]
        return total

    def col2im_image(self, total):
        """The summed image (N, C, H, W), padding dropped (a view)."""
        return total[:, :, self.ph : self.ph + self.H, self.pw : self.pw + self.W].transpose(
            1, 0, 2, 3
        )

    def _view(self, col, rows, C):
        """A block's (C*kh*kw, rows*ow*N) column matrix of C channels as (C, kh, kw, N, rows,
        ow)."""
        raise NotImplementedError

    def split(self, fn, n, nbytes):
        """fn(lo, hi) over [0, n), in two halves at once where this strategy's backend can
        (:func:`tinynet.threads.split`); here in one call."""
        fn(0, n)

    # ----- the GEMMs of the convolutions: on built columns unless a subclass says otherwise -----
    def gemm_blocks(self, y0, y1):
        """The GEMM blocks that cover output rows [y0, y1) (a block of ``blocks``)."""
        return [(y0, y1)]

    def gemm_source(self, x):
        """What :meth:`gemm_columns` reads for the images x."""
        return self.source(x)

    def gemm_columns(self, src, y0, y1):
        """The columns of the GEMM block [y0, y1) (from :meth:`gemm_blocks`), rows in the order of
        :meth:`gemm_weights`."""
        return self.im2col(src, y0, y1)

    def gemm_weights(self, w):
        """A kernel (C_out, C, kh, kw) as the matrix that multiplies :meth:`gemm_columns`."""
        return w.reshape(w.shape[0], -1)

    def gemm_kernel(self, m):
        """The inverse of :meth:`gemm_weights`: m (C_out, K) -> (C_out, C, kh, kw)."""
        return m.reshape(-1, self.C, self.kh, self.kw)

    def row_gemms(self, w_mat, src, out):
        """out[:, columns of block] = w_mat @ gemm_columns(src, block) for every GEMM block,
        w_mat from :meth:`gemm_weights`. Where the strategy splits (:meth:`split`), each of two
        threads takes half of the blocks when they halve evenly (or are many), else half of
        every block's columns: either way each reads its half of the columns once."""
        blocks = self.gemm_blocks(0, self.oh)

        def block(y0, y1, p0=0, p1=2):  # halves p0 .. p1 - 1 of the block's columns
            start, stop, _ = self.column_range(y0, y1).indices(out.shape[1])
            lo, hi = start + (stop - start) * p0 // 2, start + (stop - start) * p1 // 2
            cols = self.gemm_columns(src, y0, y1)[:, lo - start : hi - start]
            self.xp.matmul(w_mat, cols, out=out[:, lo:hi])

        if len(blocks) % 2 == 0 or len(blocks) >= 12 or self.dh > 1:  # dilated rows: copies
            self.split(
                lambda b0, b1: [block(*blocks[b]) for b in range(b0, b1)], len(blocks), out.nbytes
            )
        else:
            self.split(lambda p0, p1: [block(y0, y1, p0, p1) for y0, y1 in blocks], 2, out.nbytes)

    def kernel_gradient_t(self, src, g_mat, c):
        """The sum over the GEMM blocks of gemm_columns(src, block) @ g_mat[:, block].T -> (k, c):
        a kernel gradient, transposed (its rows as :meth:`gemm_kernel` reads them). Where the
        strategy splits, each of two threads sums its half of the k rows (no sum is split)."""
        total = self.xp.zeros((self.k, c), dtype=g_mat.dtype)
        blocks = self.gemm_blocks(0, self.oh)

        def run(k0, k1):
            for y0, y1 in blocks:
                cols = self.gemm_columns(src, y0, y1)[k0:k1]
                total[k0:k1] += cols @ g_mat[:, self.column_range(y0, y1)].T

        self.split(run, self.k, g_mat.nbytes)
        return total

    def col2im_gemms(self, w_t, g_mat):
        """The image (N, C, H, W) whose columns are w_t (C*kh*kw, c) @ g_mat (c, M), summed block
        by block (col2im); where the strategy splits, each thread takes half of the channels."""
        kk = self.kh * self.kw
        box = [self.col2im_zeros()]

        def run(c0, c1):
            for y0, y1 in self.blocks:
                col = w_t[c0 * kk : c1 * kk] @ g_mat[:, self.column_range(y0, y1)]
                box[0] = self.col2im_add(box[0], col, y0, y1, slice(c0, c1))

        self.split(run, self.C, self.k * g_mat.shape[1] * g_mat.itemsize)
        return self.col2im_image(box[0])

    def folds_rows(self):
        """Whether the input gradient is folded row by row (``fold_rows``) instead of col2im."""
        return False


class BatchLastRows(Windows):
    """NumPy: batch-last images, columns ordered (y, x, n) in blocks of output rows within
    ``BLOCK_BYTES``; the GEMMs multiply views of the expanded rows, one output row each, and
    with row stride 1 the input gradient is folded input row by input row."""

    batch_last = True

    def __init__(self, image_shape, kh, kw, stride, padding, like, op=None, dilation=1):
        super().__init__(image_shape, kh, kw, stride, padding, like, op=op, dilation=dilation)
        row_bytes = self.k * self.ow * self.N * self.dtype.itemsize
        rows = max(1, min(self.oh, BLOCK_BYTES // row_bytes))
        self.blocks = [(y0, min(self.oh, y0 + rows)) for y0 in range(0, self.oh, rows)]

    def column_range(self, y0, y1):
        per_row = self.ow * self.N
        return slice(y0 * per_row, y1 * per_row)

    def _view(self, col, rows, C):
        kh, kw, N, ow = self.kh, self.kw, self.N, self.ow
        return col.reshape(C, kh, kw, rows, ow, N).transpose(0, 1, 2, 5, 3, 4)

    def split(self, fn, n, nbytes):
        threads.split(fn, n, nbytes)

    def gemm_blocks(self, y0, y1):
        """One GEMM per output row, on a view of the expanded rows."""
        return [(y, y + 1) for y in range(y0, y1)]

    def gemm_source(self, x):
        """The expanded rows of x (:meth:`expand`)."""
        return self.expand(x)

    def gemm_columns(self, src, y0, y1):
        """Output row y0's columns, a view of the expanded rows (:meth:`row_columns`)."""
        return self.row_columns(src, y0)

    def gemm_weights(self, w):
        return row_weights(w)

    def gemm_kernel(self, m):
        return m.reshape(-1, self.kh, self.C, self.kw).transpose(0, 2, 1, 3)

    def expand(self, x):
        """The images x (N, C, H, W) as E (Hp, C, kw, ow, N), every padded
        input row r held kw times, shifted (and strided) for each kernel column j:
        ``E[r, c, j, x, n] = padded x[n, c, r, sw*x + dw*j]``. The columns of output row y are then
        a contiguous slice of E (:meth:`row_columns`), so a convolution copies the input kw times
        instead of kh*kw times, and its backward pass rebuilds nothing."""
        C, H, N, kw, ph = self.C, self.H, self.N, self.kw, self.ph
        rows = to_channel_major(x, batch_last=True).transpose(2, 0, 3, 1)  # (H, C, W, N) view
        E = self.xp.empty((H + 2 * ph, C, kw, self.ow, N), dtype=self.dtype)

        def channels(c0, c1):
            E[:ph, c0:c1] = 0
            E[ph + H :, c0:c1] = 0
            for j in range(kw):
                lo, hi, cols = self._columns_read(j)
                E[ph : ph + H, c0:c1, j, :lo] = 0
                E[ph : ph + H, c0:c1, j, hi:] = 0
                if hi > lo:
                    E[ph : ph + H, c0:c1, j, lo:hi] = rows[:, c0:c1, cols]

        self.split(channels, C, E.nbytes)
        return E

    def _columns_read(self, j):
        """(lo, hi, cols): output columns lo .. hi - 1 read, through kernel column j, the input
        (unpadded) columns ``cols`` (a slice): output column x reads sw*x + dw*j - pw, and the
        others read padding."""
        sw, pw, dw = self.sw, self.pw, self.dw
        lo = min(self.ow, max(0, -(-(pw - dw * j) // sw)))
        hi = max(lo, min(self.ow, (self.W - 1 + pw - dw * j) // sw + 1))
        first = sw * lo + dw * j - pw
        return lo, hi, slice(first, first + sw * (hi - lo - 1) + 1, sw)

    def row_columns(self, E, y):
        """The (kh*C*kw, ow*N) columns of output row y, a view of E (from :meth:`expand`); rows
        ordered (i, c, j), like :func:`row_weights` of the kernel (a copy when rows are
        dilated)."""
        top, dh = self.sh * y, self.dh
        rows = E[top : top + dh * (self.kh - 1) + 1 : dh]
        return rows.reshape(self.kh * self.C * self.kw, -1)

    def folds_rows(self):
        """Row stride and row dilation 1: :meth:`fold_rows` applies."""
        return self.sh == 1 and self.dh == 1

    def fold_rows(self, gy, w):
        """conv2d's input gradient (N, C, H, W) (batch-last) for output gradients gy (N, C_out, oh,
        ow) and kernel w, when :meth:`folds_rows`: the adjoint of the row GEMMs without col2im.
        The output rows that reach padded input row r, r - kh + 1 .. r, are a contiguous slice
        of G, gy's rows laid out (oh, C_out, ow, N) between kh - 1 zero rows on each side; one
        GEMM with the kernel rows reversed, (C*kw, kh*C_out) @ (kh*C_out, ow*N), gives row r's
        kw column-shifted pieces, summed in by kw strided adds (not kh*kw)."""
        xp, kh, kw, ph = self.xp, self.kh, self.kw, self.ph
        C, H, W, N, oh, ow, c_out = self.C, self.H, self.W, self.N, self.oh, self.ow, w.shape[0]
        G = xp.empty((oh + 2 * (kh - 1), c_out, ow, N), dtype=self.dtype)
        G[: kh - 1] = 0
        G[kh - 1 + oh :] = 0
        rows_of_gy = gy.transpose(2, 1, 3, 0)

        def copy_rows(r0, r1):
            G[kh - 1 + r0 : kh - 1 + r1] = rows_of_gy[r0:r1]

        self.split(copy_rows, oh, G.nbytes)
        m = w[:, :, ::-1].transpose(1, 3, 2, 0).reshape(C * kw, kh * c_out)
        gx = xp.zeros((C, H, W, N), dtype=self.dtype)  # dense: what reads padding is dropped
        spans = [self._columns_read(j) for j in range(kw)]

        def rows(r0, r1):
            for r in range(r0, r1):  # padded row r + ph
                g_rows = G[r + ph : r + ph + kh].reshape(kh * c_out, -1)
                piece = (m @ g_rows).reshape(C, kw, ow, N)
                for j, (lo, hi, cols) in enumerate(spans):
                    if hi > lo:
                        gx[:, r, cols] += piece[:, j, lo:hi]

        self.split(rows, H, gx.nbytes)
        return gx.transpose(3, 0, 1, 2)


class ShiftedRows(BatchLastRows):
    """NumPy, stride 1 and row dilation 1, few output channels: no expanded rows. The padded
    input is kept once, as rows P (Hp, C, Wp, N); one GEMM per output row y multiplies the kw
    kernel columns stacked, (kw*C_out, kh*C), with the contiguous rows ``P[y : y + kh]``
    (kh*C, Wp*N), and output row y is the sum of the kw products, each shifted by dw*j columns.
    The GEMM is kw times taller than a row GEMM on expanded rows, and nothing is copied kw
    times: better where C_out is small (:func:`make_windows` chooses)."""

    def gemm_source(self, x):
        """The padded rows P (Hp, C, Wp, N) of x, zeros around."""
        C, H, W, N, ph, pw = self.C, self.H, self.W, self.N, self.ph, self.pw
        rows = to_channel_major(x, batch_last=True).transpose(2, 0, 3, 1)  # (H, C, W, N) view
        P = self.xp.empty((H + 2 * ph, C, W + 2 * pw, N), dtype=self.dtype)
        P[:ph] = 0
        P[ph + H :] = 0

        def copy_rows(r0, r1):
            P[ph + r0 : ph + r1, :, :pw] = 0
            P[ph + r0 : ph + r1, :, pw + W :] = 0
            P[ph + r0 : ph + r1, :, pw : pw + W] = rows[r0:r1]

        self.split(copy_rows, H, P.nbytes)
        return P

    def gemm_weights(self, w):
        """(C_out, C, kh, kw) -> (kw*C_out, kh*C): row j*C_out + o, column i*C + c."""
        c_out, C, kh, kw = w.shape
        return w.transpose(3, 0, 2, 1).reshape(kw * c_out, kh * C)

    def row_gemms(self, w_mat, src, out):
        kh, kw, C, N, ow, dw = self.kh, self.kw, self.C, self.N, self.ow, self.dw
        c_out, wide = w_mat.shape[0] // kw, src.shape[2] * N
        out_rows = out.reshape(c_out, self.oh, ow * N)

        def rows(r0, r1):
            Z = self.xp.empty((kw, c_out, wide), dtype=out.dtype)
            for r in range(r0, r1):
                self.xp.matmul(
                    w_mat, src[r : r + kh].reshape(kh * C, wide), out=Z.reshape(kw * c_out, wide)
                )
                o, shifted = (
                    out_rows[:, r],
                    [Z[j, :, j * dw * N : j * dw * N + ow * N] for j in range(kw)],
                )
                if kw == 1:
                    o[...] = shifted[0]
                else:
                    self.xp.add(shifted[0], shifted[1], out=o)
                for part in shifted[2:]:
                    o += part

        self.split(rows, self.oh, out.nbytes)

    def kernel_gradient_t(self, src, g_mat, c):
        """Per output row y, one GEMM of the rows P[y : y + kh] (kh*C, Wp*N) with gy's row set
        at each of the kw column shifts in a zero (kw*c, Wp*N) stack: all kernel columns at
        once. Where the strategy splits, each thread takes half of the kh*C rows."""
        kh, kw, C, N, ow, dw = self.kh, self.kw, self.C, self.N, self.ow, self.dw
        wide = src.shape[2] * N
        total = self.xp.zeros((kh * C, kw * c), dtype=g_mat.dtype)
        g_rows = g_mat.reshape(c, self.oh, ow * N)

        def run(k0, k1):
            stack = self.xp.zeros((kw, c, wide), dtype=g_mat.dtype)
            for r in range(self.oh):
                for j in range(kw):
                    stack[j, :, j * dw * N : j * dw * N + ow * N] = g_rows[:, r]
                p = src[r : r + kh].reshape(kh * C, wide)[k0:k1]
                total[k0:k1] += p @ stack.reshape(kw * c, wide).T

        self.split(run, kh * C, g_mat.nbytes)
        # (kh*C, kw*c) [i*C + ci, j*c + o] -> rows (i, c, j) as gemm_kernel reads them
        return total.reshape(kh * C * kw, c)


class GenericColumns(Windows):
    """(C, N, H, W) images, columns ordered (n, y, x) in a single block, built and summed by
    slice loops on any array module."""

    def column_range(self, y0, y1):
        assert (y0, y1) == (0, self.oh), "columns ordered (n, y, x) come in one block"
        return slice(None)

    def _view(self, col, rows, C):
        return col.reshape(C, self.kh, self.kw, self.N, rows, self.ow)


class CudaKernels(GenericColumns):
    """CuPy: the columns of :class:`GenericColumns`, built (im2col) and summed (col2im) by fused
    CUDA kernels that read the unpadded input directly."""

    def source(self, x):
        return x

    def im2col(self, src, y0, y1):
        return cuda_kernels.im2col(
            src, self.kh, self.kw, self.sh, self.sw, self.ph, self.pw, self.oh, self.ow
        )

    def col2im_zeros(self):
        return None  # the kernel writes every pixel of the image it returns

    def col2im_add(self, total, col, y0, y1, channels=None):
        assert channels is None or (channels.start, channels.stop) == (0, self.C)
        return cuda_kernels.col2im(
            col,
            self.N,
            self.C,
            self.H,
            self.W,
            self.kh,
            self.kw,
            self.sh,
            self.sw,
            self.ph,
            self.pw,
            self.oh,
            self.ow,
        )

    def col2im_image(self, total):
        return total


def row_weights(w):
    """A kernel (C_out, C, kh, kw) as the (C_out, kh*C*kw) matrix that multiplies
    :meth:`Windows.row_columns`: columns ordered (i, c, j)."""
    return w.transpose(0, 2, 1, 3).reshape(w.shape[0], -1)


def im2col(x, kh, kw, stride=1, padding=0, batch_last=None):
    """x (N, C, H, W) -> col (C*kh*kw, N*oh*ow): rows ordered (c, i, j) like w.reshape(C_out, -1);
    the column of output pixel (y, x) of image n holds the padded input window under it. Columns
    are ordered (y, x, n) when ``batch_last`` (the default on NumPy), else (n, y, x) (the default
    on CuPy)."""
    win = make_windows(x.shape, kh, kw, stride, padding, x, batch_last, op="im2col")
    return win.im2col(win.source(x), 0, win.oh)


def col2im(col, x_shape, kh, kw, stride=1, padding=0, batch_last=None):
    """The adjoint of im2col (same ``batch_last``): col (C*kh*kw, N*oh*ow) -> (N, C, H, W),
    summing overlapping windows (a view in the layout of the columns)."""
    win = make_windows(x_shape, kh, kw, stride, padding, col, batch_last, op="col2im")
    return win.col2im_image(win.col2im_add(win.col2im_zeros(), col, 0, win.oh))
