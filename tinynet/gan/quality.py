"""How good are the forgeries? Measured with a digit classifier trained by tinynet (LeNet).

    clf = digit_classifier()                 # trained once on MNIST, then read from the cache
    report = quality_report(clf, fake01, real01)
    report["confident_share"], report["class_shares"], report["fid"], report["fid_real_halves"]

Images given to these functions are in [0, 1], shape (N, 1, 28, 28) (to_unit maps a tanh
generator's [-1, 1] there). The measures:

* confident share: the fraction of samples the classifier assigns to one digit with probability
  >= 0.9 (a recognisable digit);
* class shares: the fraction of samples per predicted digit (mode collapse shows as empty bars);
* Fréchet distance (the FID recipe, with the classifier's penultimate layer instead of Inception):
  ||mu1 - mu2||^2 + tr(S1 + S2 - 2 (S1 S2)^(1/2)) between the feature means and covariances of
  two image sets. Its value depends on the sample sizes, so it is reported beside the distance
  between two disjoint halves of the real test set, computed with the same sizes.
"""

import os
from pathlib import Path

import numpy as np

from ..autograd import no_grad
from ..backend import asnumpy, to_device

CLASSIFIER_ENV = "TINYNET_GAN_CLASSIFIER"
CLASSIFIER_FILE = "mnist_lenet.tnz"


def classifier_path():
    """Where the digit classifier is cached: $TINYNET_GAN_CLASSIFIER, else
    ~/.cache/tinynet/models/mnist_lenet.tnz."""
    env = os.environ.get(CLASSIFIER_ENV)
    if env:
        return Path(env)
    return Path(os.path.expanduser("~")) / ".cache" / "tinynet" / "models" / CLASSIFIER_FILE


def _lenet():
    try:
        from ..zoo import lenet
    except ImportError:  # the zoo is optional here: the same architecture, built locally
        from ..layers import Activation, Conv2D, Dense, Flatten, MaxPooling2D
        from ..models import Sequential

        def lenet():
            return Sequential(
                [
                    Conv2D(20, kernel_size=5, padding="same", input_shape=(1, 28, 28)),
                    Activation("relu"),
                    MaxPooling2D(pool_size=(2, 2), strides=(2, 2)),
                    Conv2D(50, kernel_size=5, padding="same"),
                    Activation("relu"),
                    MaxPooling2D(pool_size=(2, 2), strides=(2, 2)),
                    Flatten(),
                    Dense(500),
                    Activation("relu"),
                    Dense(10),
                    Activation("softmax"),
                ],
                name="lenet",
            )

    return lenet()


def train_digit_classifier(epochs=2, batch_size=128, device="cpu", verbose=1, limit=None, seed=0):
    """LeNet trained with Adam on the MNIST training set (pixels / 255). Returns (model, test
    accuracy)."""
    from .. import backend
    from ..datasets import mnist

    (x, y), (xt, yt) = mnist.load_data()
    if limit is not None:
        x, y = x[:limit], y[:limit]
    backend.seed(seed)
    model = _lenet().to(device)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(
        (x[:, None] / 255.0).astype(np.float32),
        y.astype(np.int64),
        batch_size=batch_size,
        epochs=epochs,
        verbose=verbose,
    )
    probs = predict_probs(model, (xt[:, None] / 255.0).astype(np.float32))
    return model, float((probs.argmax(1) == yt).mean())


def digit_classifier(path=None, device="cpu", epochs=2, verbose=1, retrain=False):
    """The cached MNIST LeNet (see classifier_path), trained and saved there first when the file
    is absent (a couple of minutes on a CPU, seconds on a GPU). Returns the model on ``device``,
    with ``source_file`` (the path it lives in) for the run records."""
    from ..models import load_model
    from ..models.saving import ModelFileError

    path = Path(path) if path is not None else classifier_path()
    if path.is_file() and not retrain:
        try:
            model = load_model(path).to(device)
            model.source_file = str(path)
            return model
        except ModelFileError as e:
            if verbose:
                print(f"digit_classifier: {e}; training a new one")
    if verbose:
        print(f"digit_classifier: training LeNet on MNIST for {epochs} epochs (cached at {path})")
    model, acc = train_digit_classifier(epochs, device=device, verbose=verbose)
    if verbose:
        print(f"digit_classifier: test accuracy {acc:.4f}")
    path.parent.mkdir(parents=True, exist_ok=True)
    model.save(path, include_optimizer=False)
    model.source_file = str(path)
    return model


def to_unit(images):
    """Generator outputs in [-1, 1] -> [0, 1] (clipped), float32."""
    return np.clip((np.asarray(images, dtype=np.float32) + 1) / 2, 0, 1)


def _check_images(images, who):
    a = np.asarray(images)
    if a.ndim != 4 or a.shape[1:] != (1, 28, 28):
        raise ValueError(f"{who}: expected images (N, 1, 28, 28) in [0, 1], got shape {a.shape}")
    if a.size and (a.min() < -1e-6 or a.max() > 1 + 1e-6):
        raise ValueError(
            f"{who}: images must be scaled to [0, 1] (got range [{a.min():.3g}, "
            f"{a.max():.3g}]); use to_unit() for a tanh generator's output"
        )
    return a.astype(np.float32, copy=False)


def predict_probs(classifier, images, batch_size=500):
    """Class probabilities (N, 10) for images (N, 1, 28, 28) in [0, 1]."""
    return classifier.predict(_check_images(images, "predict_probs"), batch_size=batch_size)


def _feature_depth(classifier):
    """Index of the last layer with weights (the output layer): the features are its input."""
    with_weights = [i for i, layer in enumerate(classifier.layers) if layer.weights]
    if len(with_weights) < 2:
        raise ValueError(
            f"penultimate_features: {classifier.name} has no hidden layer with weights"
        )
    return with_weights[-1]


def penultimate_features(classifier, images, batch_size=500):
    """The input of the classifier's output layer (LeNet: the 500 ReLU units), (N, F) float64."""
    images = _check_images(images, "penultimate_features")
    depth = _feature_depth(classifier)
    out = []
    with no_grad():
        for start in range(0, len(images), batch_size):
            h = to_device(images[start : start + batch_size], classifier.device)
            for layer in classifier.layers[:depth]:
                h = layer(h, training=False)
            out.append(asnumpy(h.data).reshape(len(h.data), -1).astype(np.float64))
    return np.concatenate(out) if out else np.zeros((0, 0))


def confident_share(probs, threshold=0.9):
    """Fraction of rows whose largest probability is >= threshold."""
    probs = np.asarray(probs)
    if probs.ndim != 2 or len(probs) == 0:
        raise ValueError(
            f"confident_share: expected probabilities (N, classes), got shape {probs.shape}"
        )
    return float((probs.max(axis=1) >= threshold).mean())


def class_shares(probs, num_classes=None):
    """Fraction of rows whose argmax is each class: (num_classes,) summing to 1."""
    probs = np.asarray(probs)
    if probs.ndim != 2 or len(probs) == 0:
        raise ValueError(
            f"class_shares: expected probabilities (N, classes), got shape {probs.shape}"
        )
    k = num_classes or probs.shape[1]
    return np.bincount(probs.argmax(axis=1), minlength=k)[:k] / len(probs)


def feature_stats(features):
    """(mean (F,), covariance (F, F)) of features (N, F), N >= 2."""
    f = np.asarray(features, dtype=np.float64)
    if f.ndim != 2 or len(f) < 2:
        raise ValueError(f"feature_stats: expected features (N >= 2, F), got shape {f.shape}")
    return f.mean(axis=0), np.cov(f, rowvar=False)


def frechet_distance(a, b):
    """Fréchet distance between two Gaussians, each given as (mean, covariance) or as a feature
    matrix (N, F): ||mu_a - mu_b||^2 + tr(S_a) + tr(S_b) - 2 tr((S_a S_b)^(1/2)).

    tr((S_a S_b)^(1/2)) is the sum of the square roots of the eigenvalues of
    S_a^(1/2) S_b S_a^(1/2) (symmetric, positive semi-definite, similar to S_a S_b)."""
    mu_a, s_a = a if isinstance(a, tuple) else feature_stats(a)
    mu_b, s_b = b if isinstance(b, tuple) else feature_stats(b)
    mu_a, mu_b = np.asarray(mu_a, np.float64), np.asarray(mu_b, np.float64)
    s_a, s_b = (
        np.atleast_2d(np.asarray(s_a, np.float64)),
        np.atleast_2d(np.asarray(s_b, np.float64)),
    )
    if mu_a.shape != mu_b.shape or s_a.shape != s_b.shape or s_a.shape != (mu_a.size, mu_a.size):
        raise ValueError(
            f"frechet_distance: mismatched shapes: means {mu_a.shape} and {mu_b.shape}, "
            f"covariances {s_a.shape} and {s_b.shape}"
        )
    w, v = np.linalg.eigh((s_a + s_a.T) / 2)
    root_a = (v * np.sqrt(np.clip(w, 0, None))) @ v.T
    m = root_a @ s_b @ root_a
    cross = np.sqrt(np.clip(np.linalg.eigvalsh((m + m.T) / 2), 0, None)).sum()
    diff = mu_a - mu_b
    return float(max(diff @ diff + np.trace(s_a) + np.trace(s_b) - 2 * cross, 0.0))


def real_halves(real, seed=0):
    """Two disjoint halves of the real images, split at random with ``seed``."""
    order = np.random.default_rng(seed).permutation(len(real))
    half = len(real) // 2
    return real[order[:half]], real[order[half : 2 * half]]


def quality_report(classifier, generated, real, threshold=0.9, floor=0.05, seed=0):
    """All the measures for generated images (N, 1, 28, 28) in [0, 1] against real test images
    (M, 1, 28, 28) in [0, 1]. The real set is split into halves A and B; the generated samples
    (the first M/2 are used) are compared with B, and A with B gives the reference distance.
    Returns a JSON-able dict."""
    generated = _check_images(generated, "quality_report")
    real = _check_images(real, "quality_report")
    a, b = real_halves(real, seed)
    gen = generated[: len(b)]
    probs = predict_probs(classifier, generated)
    shares = class_shares(probs, 10)
    stats_b = feature_stats(penultimate_features(classifier, b))
    return {
        "samples": int(len(generated)),
        "confidence_threshold": threshold,
        "confident_share": confident_share(probs, threshold),
        "class_shares": [round(float(s), 4) for s in shares],
        "min_class_share": float(shares.min()),
        "every_digit_at_least": floor,
        "every_digit_present": bool(shares.min() >= floor),
        "fid": frechet_distance(feature_stats(penultimate_features(classifier, gen)), stats_b),
        "fid_real_halves": frechet_distance(
            feature_stats(penultimate_features(classifier, a)), stats_b
        ),
        "fid_samples": [int(len(gen)), int(len(b))],
        "real_confident_share": confident_share(predict_probs(classifier, b), threshold),
    }
