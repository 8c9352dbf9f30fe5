import numpy as np
import pytest

from tinynet.utils import np_utils, to_categorical


def test_to_categorical_like_keras():
    y = np.array([[2], [0], [1]])
    out = to_categorical(y, 4)
    assert out.dtype == np.float32 and out.shape == (3, 4)
    np.testing.assert_array_equal(out.argmax(axis=1), [2, 0, 1])
    np.testing.assert_array_equal(np_utils.to_categorical([1, 1]), [[0, 1], [0, 1]])


def test_to_categorical_rejects_out_of_range_and_fractions():
    with pytest.raises(ValueError, match=r"labels must be in \[0, 2\)"):
        to_categorical([0, 2], 2)
    with pytest.raises(ValueError, match="must be integers"):
        to_categorical([0.5])
