"""Hypothesis strategies for op geometry: batch 1-2, odd sizes, strides 1-3, paddings 0-2,
non-square kernels; and the ways the convolutions can run."""

from unittest.mock import patch

from hypothesis import strategies as st

from tinynet.functional import windows

# (bytes of one block of columns: 1 = one output row each, batch-last on NumPy or not: False
# takes the (C, N, H, W) path that CuPy takes, with the generic slice loops)
conv_setups = st.tuples(st.sampled_from([1, 200, 1 << 22]), st.booleans())


def windows_setup(setup):
    """A context in which the convolutions run as ``setup`` (from ``conv_setups``) says."""
    block, batch_last = setup
    return patch.multiple(windows, BLOCK_BYTES=block, prefers_batch_last=lambda a: batch_last)


@st.composite
def conv_geometry(draw, max_size=7):
    """(N, C_in, C_out, H, W, kh, kw, stride, padding) where the kernel fits the padded input."""
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    ph, pw = draw(st.integers(0, 2)), draw(st.integers(0, 2))
    sh, sw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    H = draw(st.integers(max(1, kh - 2 * ph), max_size))
    W = draw(st.integers(max(1, kw - 2 * pw), max_size))
    N, ci, co = draw(st.integers(1, 2)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    return N, ci, co, H, W, kh, kw, (sh, sw), (ph, pw)


@st.composite
def dilated_conv_geometry(draw, max_size=9):
    """:func:`conv_geometry` with dilations 1-3 per axis: (..., stride, padding, dilation)."""
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    dh, dw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    ph, pw = draw(st.integers(0, 2)), draw(st.integers(0, 2))
    sh, sw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    H = draw(st.integers(max(1, dh * (kh - 1) + 1 - 2 * ph), max_size))
    W = draw(st.integers(max(1, dw * (kw - 1) + 1 - 2 * pw), max_size))
    N, ci, co = draw(st.integers(1, 2)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    return N, ci, co, H, W, kh, kw, (sh, sw), (ph, pw), (dh, dw)


@st.composite
def conv1d_geometry(draw, max_length=40):
    """(N, C_in, C_out, L, k, stride, padding, dilation): dilations 1-8, kernels 1-4, paddings
    of every kind, lengths shorter and longer than the receptive field, batch 1 included."""
    k, d, s = draw(st.integers(1, 4)), draw(st.integers(1, 8)), draw(st.integers(1, 2))
    padding = draw(
        st.one_of(
            st.sampled_from(["valid", "same", "causal"]),
            st.integers(0, 3),
            st.tuples(st.integers(0, 4), st.integers(0, 4)),
        )
    )
    span = d * (k - 1) + 1
    pads = {"valid": (0, 0), "same": (span // 2, span - 1 - span // 2), "causal": (span - 1, 0)}
    left, right = pads.get(padding, padding) if not isinstance(padding, int) else (padding,) * 2
    L = draw(st.integers(max(1, span - left - right), max_length))
    N, ci, co = draw(st.integers(1, 2)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    return N, ci, co, L, k, s, padding, d


@st.composite
def transpose_geometry(draw, max_size=5):
    """(N, C_in, C_out, H, W, kh, kw, stride, padding, output_padding) with a non-empty output."""
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    sh, sw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    oph, opw = draw(st.integers(0, sh - 1)), draw(st.integers(0, sw - 1))
    H, W = draw(st.integers(1, max_size)), draw(st.integers(1, max_size))
    ph = draw(st.integers(0, min(2, ((H - 1) * sh + kh + oph - 1) // 2)))
    pw = draw(st.integers(0, min(2, ((W - 1) * sw + kw + opw - 1) // 2)))
    N, ci, co = draw(st.integers(1, 2)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    return N, ci, co, H, W, kh, kw, (sh, sw), (ph, pw), (oph, opw)


@st.composite
def pool_geometry(draw, max_size=7):
    """(N, C, H, W, kernel, stride, padding) with padding <= kernel/2 and the window fitting."""
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    ph, pw = draw(st.integers(0, kh // 2)), draw(st.integers(0, kw // 2))
    sh, sw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    H = draw(st.integers(max(1, kh - 2 * ph), max_size))
    W = draw(st.integers(max(1, kw - 2 * pw), max_size))
    N, C = draw(st.integers(1, 2)), draw(st.integers(1, 3))
    return N, C, H, W, (kh, kw), (sh, sw), (ph, pw)


def shapes(min_dims=1, max_dims=3, max_side=4):
    return st.lists(st.integers(1, max_side), min_size=min_dims, max_size=max_dims).map(tuple)
