"""The lecture's two equations on faces, Radford-style (DCGAN section 6.3), judged by attribute
classifiers:

    [man with glasses] - [man without glasses] + [woman without glasses] = [woman with glasses]
    [smiling woman]    - [neutral woman]       + [neutral man]           = [smiling man]

    pool = face_pool(generate, classify, latent_dim=100, n=20000)      # z, images, P(attributes)
    study = equation_study(EQUATIONS["glasses"], pool, generate, classify, cases=100)
    study["success_rate"], study["control_success_rate"]

``generate(z)`` maps z (N, latent_dim) to faces (N, 3, 64, 64) in [-1, 1]; ``classify(images)``
gives P(attribute) (N, K) with columns ``attributes`` (default Eyeglasses, Smiling, Male).

A concept is a set of required attribute values ({"Male": True, "Eyeglasses": False}); a sample
belongs to it when the classifier is confident of each: P >= ``confidence`` for True, P <=
1 - confidence for False. Each case draws three samples of each of the three concepts (without
replacement), averages their z per concept and generates y = mean(A) - mean(B) + mean(C). The
result counts as a success when the classifier reads the target concept from it at P > 0.5 on
each attribute. The control keeps mean(C) and replaces the attribute vector mean(A) - mean(B)
by a random direction of the same length (uniform on the sphere): the share of controls read as
the target says how much of the success any step of that size away from C would give. The
pool vector (every member of A averaged, minus every member of B: the attribute's direction
nearly without the three-z noise) added to the same mean(C), as it is and lengthened by
``POOL_SCALES``, says how much of the failure is the noise and how far the generator's
direction must be followed to change the face. The case's own three-z noise (its vector
minus the pool vector) added back at ``NOISE_SCALES`` of its length, and a random direction of
the same length in its place, say whether the noise costs by its length or by its direction.
"""

import numpy as np

from ..zoo.face_attributes import ATTRIBUTES
from .latent import sample_latent

EQUATIONS = {
    "glasses": {
        "terms": (
            ("man with glasses", {"Male": True, "Eyeglasses": True}),
            ("man without glasses", {"Male": True, "Eyeglasses": False}),
            ("woman without glasses", {"Male": False, "Eyeglasses": False}),
        ),
        "target": ("woman with glasses", {"Male": False, "Eyeglasses": True}),
    },
    "smiling": {
        "terms": (
            ("smiling woman", {"Male": False, "Smiling": True}),
            ("neutral woman", {"Male": False, "Smiling": False}),
            ("neutral man", {"Male": True, "Smiling": False}),
        ),
        "target": ("smiling man", {"Male": True, "Smiling": True}),
    },
}
GROUP = 3  # z averaged per concept (Radford et al.)
NEIGHBOURS = 8  # the figure's results around y: y + U(-0.25, 0.25) noise (Radford et al.)
NOISE = 0.25
POOL_SCALES = (1.0, 1.5, 2.0)  # the pool vector's lengths tried, in units of itself
NOISE_SCALES = (0.25, 0.5, 0.75)  # shares of a case's three-z noise added to the pool vector
# (none is the pool vector itself, all of it the equation)


class RareConceptError(ValueError):
    """A concept with fewer confident members in the pool than a case averages."""


def face_pool(generate, classify, latent_dim, n, seed=0, batch_size=1000):
    """n uniform z in [-1, 1]^latent_dim and the classifier's P(attributes) of their faces, made
    in batches: {"z" (n, latent_dim), "probs" (n, K)}. The faces are not kept (20,000 of them
    are 1 GB of float32); ``generate(pool["z"][i])`` gives them back."""
    if not (isinstance(n, (int, np.integer)) and n >= 1):
        raise ValueError(f"face_pool: n must be a positive int, got {n!r}")
    z = sample_latent(n, latent_dim, "uniform", np.random.default_rng(seed))
    return {"z": z, "probs": read_faces(generate, classify, z, batch_size)}


def read_faces(generate, classify, z, batch_size=1000):
    """P(attributes) (N, K) float64 of the faces of z (N, latent_dim), generated in batches."""
    z = np.asarray(z, dtype=np.float32)
    probs = [
        np.asarray(classify(generate(z[start : start + batch_size])), dtype=np.float64)
        for start in range(0, len(z), batch_size)
    ]
    return np.concatenate(probs)


def concept_mask(probs, concept, attributes=ATTRIBUTES, confidence=0.9):
    """(N,) bool: the rows of probs (N, K) confidently showing every value the concept asks for."""
    probs = np.asarray(probs)
    if probs.ndim != 2 or probs.shape[1] != len(attributes):
        raise ValueError(
            f"concept_mask: probabilities must be (N, {len(attributes)}) for columns "
            f"{attributes}, got shape {probs.shape}"
        )
    if not 0.5 < confidence < 1:  # at 0.5 a face would both have and lack an attribute
        raise ValueError(f"concept_mask: confidence must be in (0.5, 1), got {confidence}")
    mask = np.ones(len(probs), dtype=bool)
    for name, wanted in concept.items():
        if name not in attributes:
            raise ValueError(f"concept_mask: unknown attribute {name!r}; known: {attributes}")
        p = probs[:, attributes.index(name)]
        mask &= (p >= confidence) if wanted else (p <= 1 - confidence)
    return mask


def reads_as(probs, concept, attributes=ATTRIBUTES):
    """(N,) bool: the classifier reads the concept (P > 0.5 for True, P < 0.5 for False)."""
    probs = np.asarray(probs)
    mask = np.ones(len(probs), dtype=bool)
    for name, wanted in concept.items():
        p = probs[:, attributes.index(name)]
        mask &= (p > 0.5) if wanted else (p < 0.5)
    return mask


def group_sizes(equation, probs, attributes=ATTRIBUTES, confidence=0.9):
    """{concept name: how many rows of probs belong to it}, for the equation's three terms and
    its target."""
    named = list(equation["terms"]) + [equation["target"]]
    return {n: int(concept_mask(probs, c, attributes, confidence).sum()) for n, c in named}


def random_like(vectors, rng):
    """For each row of vectors (M, D): a direction uniform on the sphere, scaled to its length."""
    v = np.asarray(vectors, dtype=np.float64)
    r = rng.standard_normal(v.shape)
    r /= np.maximum(np.linalg.norm(r, axis=1, keepdims=True), 1e-12)
    return r * np.linalg.norm(v, axis=1, keepdims=True)


def equation_study(
    equation,
    pool,
    generate,
    classify,
    cases=100,
    attributes=ATTRIBUTES,
    confidence=0.9,
    group=GROUP,
    seed=0,
):
    """``cases`` cases of the equation (an EQUATIONS entry) on concept groups chosen in ``pool``
    (a face_pool result), each with its random-vector control. Returns a JSON-able dict of
    counts and shares, plus "_cases" (the indices into the pool per term) and "_z" (results'
    z) for figures. Raises RareConceptError naming the concept when a group has fewer than
    ``group`` samples, ValueError for bad arguments."""
    for name, value in (("cases", cases), ("group", group)):
        if not (isinstance(value, (int, np.integer)) and value >= 1):
            raise ValueError(f"equation_study: {name} must be a positive int, got {value!r}")
    unknown = sorted(set(equation["target"][1]) - set(attributes))
    if unknown:
        raise ValueError(
            f"equation_study: unknown target attributes {unknown}; known: {attributes}"
        )
    rng = np.random.default_rng(seed)
    z, probs = pool["z"], pool["probs"]
    members = []
    for name, concept in equation["terms"]:
        idx = np.flatnonzero(concept_mask(probs, concept, attributes, confidence))
        if len(idx) < group:
            raise RareConceptError(
                f"equation_study: only {len(idx)} of {len(z)} pool samples are confidently "
                f"'{name}' (P >= {confidence}), fewer than the {group} a case averages; enlarge "
                f"the pool or lower the confidence"
            )
        members.append(idx)
    picks = np.stack(
        [np.stack([rng.choice(m, group, replace=False) for m in members]) for _ in range(cases)]
    )  # (cases, 3 terms, group)
    means = z[picks].mean(axis=2)  # (cases, 3, D)
    vector = means[:, 0] - means[:, 1]
    results = vector + means[:, 2]
    controls = random_like(vector, rng) + means[:, 2]
    pool_vector = z[members[0]].mean(axis=0) - z[members[1]].mean(axis=0)  # (D,)
    target_name, target = equation["target"]
    noise = vector - pool_vector  # (cases, D): each case's departure from the attribute direction
    tried = {"result": results, "control": controls, "base": means[:, 2]}
    tried.update({("pool", k): means[:, 2] + k * pool_vector for k in POOL_SCALES})
    tried.update({("noise", k): means[:, 2] + pool_vector + k * noise for k in NOISE_SCALES})
    # the random stand-in for the noise has its own stream: the cases and controls stay as before
    tried["swapped"] = (
        means[:, 2] + pool_vector + random_like(noise, np.random.default_rng([seed, 1]))
    )
    p = {k: read_faces(generate, classify, v) for k, v in tried.items()}
    ok = {k: reads_as(v, target, attributes) for k, v in p.items()}
    return {
        "equation": " - ".join(n for n, _ in equation["terms"][:2])
        + f" + {equation['terms'][2][0]} = {target_name}",
        "cases": int(cases),
        "group": int(group),
        "confidence": confidence,
        "pool": int(len(z)),
        "group_sizes": {n: int(len(m)) for (n, _), m in zip(equation["terms"], members)},
        "success": int(ok["result"].sum()),
        "success_rate": float(ok["result"].mean()),
        "success_interval": wilson_interval(int(ok["result"].sum()), cases),
        "control_success": int(ok["control"].sum()),
        "control_success_rate": float(ok["control"].mean()),
        "control_interval": wilson_interval(int(ok["control"].sum()), cases),
        "base_success_rate": float(ok["base"].mean()),
        "beyond_control": bool(ok["result"].mean() > ok["control"].mean()),
        "mean_probabilities": {
            "result": dict(zip(attributes, p["result"].mean(0).round(4).tolist())),
            "control": dict(zip(attributes, p["control"].mean(0).round(4).tolist())),
            "base": dict(zip(attributes, p["base"].mean(0).round(4).tolist())),
        },
        "vector_norm_mean": float(np.linalg.norm(vector, axis=1).mean()),
        "pool_vector_success_rate": float(ok["pool", 1.0].mean()),
        "pool_vector_norm": float(np.linalg.norm(pool_vector)),
        "pool_vector_probabilities": dict(
            zip(attributes, p["pool", 1.0].mean(0).round(4).tolist())
        ),
        "pool_vector_success_by_scale": {str(k): float(ok["pool", k].mean()) for k in POOL_SCALES},
        "noise_norm_mean": float(np.linalg.norm(noise, axis=1).mean()),
        "pool_vector_plus_noise_success_by_scale": {
            str(k): float(ok["noise", k].mean()) for k in NOISE_SCALES
        },
        "pool_vector_plus_random_noise_success_rate": float(ok["swapped"].mean()),
        "_cases": picks,
        "_z": results.astype(np.float32),
        "_success": ok["result"],
    }


def neighbours(y, k=NEIGHBOURS, noise=NOISE, seed=0):
    """y (D,) and k neighbours y + U(-noise, noise): (k + 1, D) float32, y first (Radford's
    figure shows the result and eight such samples)."""
    y = np.asarray(y, dtype=np.float32)
    jitter = np.random.default_rng(seed).uniform(-noise, noise, (k, y.size)).astype(np.float32)
    return np.concatenate([y[None], y[None] + jitter])


def wilson_interval(successes, n, z=1.96):
    """The Wilson score interval (95% by default) of a share successes / n, as [low, high]."""
    if n <= 0:
        return [float("nan"), float("nan")]
    p = successes / n
    den = 1 + z * z / n
    mid = (p + z * z / (2 * n)) / den
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    return [round(float(mid - half), 4), round(float(mid + half), 4)]
