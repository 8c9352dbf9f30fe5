"""How good are the generated faces? Measured with the attribute classifier's features and
outputs (tinynet.zoo.face_attributes), the MNIST recipe of tinynet.gan.quality applied to faces.

    report = face_quality(generated, real, features, probs, labels=a_test)
    report["fid"], report["fid_same_size"], report["fid_real_halves"], report["shares"]

``generated`` and ``real`` are faces (N, 3, 64, 64) in [-1, 1]; ``features(images)`` gives
(N, F) (the classifier's penultimate layer), ``probs(images)`` P(attribute) (N, K).

* Fréchet distance between Gaussians fitted to the features (the FID recipe with the attribute
  classifier in place of Inception): all generated samples against all real faces ("fid"), and,
  since the value grows as samples shrink, the distance at equal sizes beside its reference:
  the real faces are split at random into halves A and B; "fid_same_size" compares |B|
  generated samples with B, "fid_real_halves" compares A with B.
* Attribute shares: the share of faces read as having each attribute (P > 0.5), generated vs
  real, and the real faces' labelled shares when ``labels`` (N, K) is given; and, when Male is
  one of the attributes, the same shares among men and among women ("shares_by_sex": rare
  pairs such as women with glasses, which the generator may draw less often than the data).
"""

import numpy as np

from ..zoo.face_attributes import ATTRIBUTES
from .quality import feature_stats, frechet_distance, real_halves


def _check_faces(images, who, what):
    a = np.asarray(images)
    if a.ndim != 4 or a.shape[1:] != (3, 64, 64):
        raise ValueError(f"{who}: {what} must be faces (N, 3, 64, 64), got shape {a.shape}")
    return a


def face_quality(generated, real, features, probs, labels=None, attributes=ATTRIBUTES, seed=0):
    """The measures above as a JSON-able dict."""
    generated = _check_faces(generated, "face_quality", "generated")
    real = _check_faces(real, "face_quality", "real")
    if len(real) < 4 or len(generated) < 2:
        raise ValueError(
            f"face_quality: need at least 4 real and 2 generated faces, got {len(real)} and "
            f"{len(generated)}"
        )
    f_gen, f_real = np.asarray(features(generated)), np.asarray(features(real))
    f_a, f_b = real_halves(f_real, seed)
    stats_b = feature_stats(f_b)
    p_gen, p_real = np.asarray(probs(generated)), np.asarray(probs(real))
    if p_gen.shape != (len(generated), len(attributes)) or p_real.shape[1:] != p_gen.shape[1:]:
        raise ValueError(
            f"face_quality: probs must give (N, {len(attributes)}) for columns {attributes}, "
            f"got {p_gen.shape} for the generated faces and {p_real.shape} for the real ones"
        )
    read = {"generated": p_gen > 0.5, "real_classified": p_real > 0.5}  # (N, K) bool each
    if labels is not None:
        labels = np.asarray(labels, dtype=np.float64)
        if labels.shape != (len(real), len(attributes)):
            raise ValueError(
                f"face_quality: labels must be (N real, {len(attributes)}), got {labels.shape}"
            )
        read["real_labelled"] = labels > 0.5
    report = {
        "samples": int(len(generated)),
        "real": int(len(real)),
        "features": int(f_gen.shape[1]),
        "fid": frechet_distance(f_gen, f_real),
        "fid_same_size": frechet_distance(feature_stats(f_gen[: len(f_b)]), stats_b),
        "fid_real_halves": frechet_distance(feature_stats(f_a), stats_b),
        "fid_sizes": {
            "fid": [len(f_gen), len(f_real)],
            "same_size": [min(len(f_b), len(f_gen)), len(f_b)],
        },
        "shares": _shares(read, attributes),
    }
    if "Male" in attributes:
        male = attributes.index("Male")
        report["shares_by_sex"] = {
            sex: _shares(read, attributes, among=(male, wanted))
            for sex, wanted in (("men", True), ("women", False))
        }
    return report


def _shares(read, attributes, among=None):
    """{attribute: {source: share of faces read as having it}} from ``read``: {source: (N, K)
    bool readings}; ``among`` (column, value): only the faces read so in that column (the
    column itself left out), a share None where a source has none of them."""
    out = {}
    for k, name in enumerate(attributes):
        if among is not None and k == among[0]:
            continue
        out[name] = {}
        for source, r in read.items():
            them = r if among is None else r[r[:, among[0]] == among[1]]
            out[name][source] = round(float(them[:, k].mean()), 4) if len(them) else None
    return out
