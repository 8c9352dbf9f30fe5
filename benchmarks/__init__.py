"""tinynet benchmarks: kernels and training steps, NumPy/CuPy vs PyTorch."""
