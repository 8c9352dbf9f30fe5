"""The latent space: sampling z, interpolating between two z, and vector arithmetic on groups of z.

z = sample_latent(64, 100, "normal", rng)          # (64, 100) float32, on the host
path = interpolate(z[0], z[1], steps=10)           # (10, 100), spherical for normal z
z_new = arithmetic([z_thick7, z_thin7, z_thin1])   # mean(thick 7) - mean(thin 7) + mean(thin 1)
"""

import numpy as np

DISTRIBUTIONS = ("normal", "uniform")


def check_distribution(distribution, who):
    if distribution not in DISTRIBUTIONS:
        raise ValueError(
            f"{who}: latent distribution must be one of {', '.join(DISTRIBUTIONS)}, "
            f"got {distribution!r}"
        )
    return distribution


def sample_latent(n, dim, distribution="normal", rng=None, dtype=np.float32):
    """(n, dim) draws of N(0, 1) ("normal") or U(-1, 1) ("uniform") from ``rng`` (a NumPy
    Generator; default: tinynet's seeded one)."""
    check_distribution(distribution, "sample_latent")
    if rng is None:
        from ..backend import rng as backend_rng

        rng = backend_rng()
    if distribution == "normal":
        return rng.standard_normal((n, dim), dtype=np.float32).astype(dtype, copy=False)
    return (rng.random((n, dim), dtype=np.float32) * 2 - 1).astype(dtype, copy=False)


def interpolate(z0, z1, steps=10, method="slerp"):
    """``steps`` points from z0 to z1 (both (dim,)), ends included: (steps, dim).
    'slerp' follows the great circle (keeps the norm typical of Gaussian z), 'linear' the chord."""
    z0, z1 = np.asarray(z0, dtype=np.float64), np.asarray(z1, dtype=np.float64)
    if z0.shape != z1.shape or z0.ndim != 1:
        raise ValueError(
            f"interpolate: z0 and z1 must be vectors of one shape, got {z0.shape} and {z1.shape}"
        )
    if steps < 2:
        raise ValueError(f"interpolate: steps must be >= 2, got {steps}")
    t = np.linspace(0.0, 1.0, steps)[:, None]
    if method == "linear":
        out = (1 - t) * z0 + t * z1
    elif method == "slerp":
        cos = np.dot(z0, z1) / max(np.linalg.norm(z0) * np.linalg.norm(z1), 1e-12)
        omega = np.arccos(np.clip(cos, -1.0, 1.0))
        if omega < 1e-6:
            out = (1 - t) * z0 + t * z1
        else:
            out = (np.sin((1 - t) * omega) * z0 + np.sin(t * omega) * z1) / np.sin(omega)
    else:
        raise ValueError(f"interpolate: method must be 'slerp' or 'linear', got {method!r}")
    return out.astype(np.float32)


def arithmetic(groups, signs=(1, -1, 1)):
    """sum_i signs[i] * mean(groups[i]): each group an array (k_i, dim) of latent vectors.
    The lecture's [smiling woman] - [neutral woman] + [neutral man] with signs (1, -1, 1).
    With three groups of 3 Gaussian z each (Radford et al.), the result has unit variance per
    dimension again, like a fresh z."""
    if len(groups) != len(signs):
        raise ValueError(f"arithmetic: {len(groups)} groups but {len(signs)} signs")
    total = 0.0
    for g, s in zip(groups, signs):
        g = np.asarray(g, dtype=np.float64)
        if g.ndim != 2 or len(g) == 0:
            raise ValueError(
                f"arithmetic: each group must be a non-empty (k, dim) array, got shape {g.shape}"
            )
        total = total + s * g.mean(axis=0)
    return np.asarray(total, dtype=np.float32)


# ----- attributes of digit images (N, 1, H, W) in [0, 1] -----
def ink(images):
    """Stroke mass: the mean pixel intensity of each image (thick strokes -> high). (N,)"""
    a = np.asarray(images, dtype=np.float64)
    return a.reshape(len(a), -1).mean(axis=1)


def slant(images):
    """Horizontal shift per row going up, from the intensity-weighted second moments:
    -cov(row, col) / var(row); > 0 leans right ("/"), < 0 leans left ("\\"). (N,)"""
    a = np.asarray(images, dtype=np.float64).reshape(len(images), *np.shape(images)[-2:])
    h, w = a.shape[1:]
    r, c = np.mgrid[0:h, 0:w]
    mass = a.sum(axis=(1, 2)) + 1e-12
    mr = (a * r).sum(axis=(1, 2)) / mass
    mc = (a * c).sum(axis=(1, 2)) / mass
    dr, dc = r[None] - mr[:, None, None], c[None] - mc[:, None, None]
    cov = (a * dr * dc).sum(axis=(1, 2)) / mass
    var = (a * dr * dr).sum(axis=(1, 2)) / mass + 1e-12
    return -cov / var


ATTRIBUTES = {"ink": (ink, "thick", "thin"), "slant": (slant, "right-leaning", "left-leaning")}


def make_pool(generate, classify, latent_dim, distribution="normal", n=10000, seed=0):
    """Generated samples to draw the arithmetic's groups from: {"z", "images", "probs"}."""
    z = sample_latent(n, latent_dim, distribution, np.random.default_rng(seed))
    images = generate(z)
    return {"z": z, "images": images, "probs": classify(images)}


def arithmetic_study(
    generate,
    classify,
    latent_dim,
    attribute="ink",
    distribution="normal",
    n_pool=10000,
    attr_group=3,
    base_group=3,
    trials=3,
    quantile=0.25,
    confidence=0.9,
    seed=0,
    digits=range(10),
    pool=None,
):
    """Measure "z(high a) - z(low a) + z(low b) is a high b" over many digit pairs.

    generate(z (N, latent_dim)) -> images (N, 1, H, W) in [0, 1]; classify(images) -> class
    probabilities (N, 10). A pool of ``n_pool`` samples is generated and classified; for each
    digit d the confidently classified samples in the top / bottom ``quantile`` of the attribute
    form its high / low groups. Each case picks a source digit a, a target digit b != a, a
    direction, and random members of the groups:

        up:    mean(high a, attr_group) - mean(low a, attr_group) + mean(low b, base_group)
        down:  mean(low a)  - mean(high a)  + mean(high b)

    and generates the result. A case "moves in the intended direction" when the result's
    attribute is above (up) / below (down) the mean attribute of its base images, and "keeps the
    digit" when the classifier reads b. As a control, each case is repeated with the attribute
    vector replaced by the difference of two random groups of digit a (same sizes, no attribute
    selection): ``moved_vs_control`` counts results beyond their control in the intended direction.
    With base_group=1 the base is one sample: an attribute vector (a difference of group means)
    added to individual z. ``pool``: a make_pool result to reuse (else one of n_pool is made).
    Returns a dict of rates, counts and per-case arrays (for figures)."""
    fn, high_name, low_name = ATTRIBUTES[attribute]
    if pool is None:
        pool = make_pool(generate, classify, latent_dim, distribution, n_pool, seed)
    rng = np.random.default_rng(seed + 1)
    z, images, probs = pool["z"], pool["images"], pool["probs"]
    n_pool = len(z)
    labels, conf, attr = probs.argmax(1), probs.max(1), fn(images)
    groups = {}
    for d in digits:
        idx = np.flatnonzero((labels == d) & (conf >= confidence))
        if len(idx) < 4 * max(attr_group, base_group):
            raise ValueError(
                f"arithmetic_study: only {len(idx)} confident samples of digit {d} in a pool of "
                f"{n_pool}; the generator is not good enough, or enlarge n_pool"
            )
        lo, hi = np.quantile(attr[idx], [quantile, 1 - quantile])
        groups[d] = {"all": idx, "high": idx[attr[idx] >= hi], "low": idx[attr[idx] <= lo]}
    cases, zs, zc = [], [], []
    for a in digits:
        for b in digits:
            if a == b:
                continue
            for direction, sign in (("up", 1), ("down", -1)):
                plus, minus = ("high", "low") if sign > 0 else ("low", "high")
                for _ in range(trials):
                    A = rng.choice(groups[a][plus], attr_group, replace=False)
                    B = rng.choice(groups[a][minus], attr_group, replace=False)
                    C = rng.choice(groups[b][minus], base_group, replace=False)
                    R = rng.choice(groups[a]["all"], 2 * attr_group, replace=False)
                    zs.append(arithmetic([z[A], z[B], z[C]]))
                    zc.append(arithmetic([z[R[:attr_group]], z[R[attr_group:]], z[C]]))
                    cases.append({"a": a, "b": b, "sign": sign, "A": A, "B": B, "C": C})
    res_images = generate(np.stack(zs))
    ctrl_images = generate(np.stack(zc))
    res_attr, ctrl_attr = fn(res_images), fn(ctrl_images)
    res_label = classify(res_images).argmax(1)
    sign = np.array([c["sign"] for c in cases])
    base_attr = np.array([attr[c["C"]].mean() for c in cases])
    target = np.array([c["b"] for c in cases])
    moved = sign * (res_attr - base_attr) > 0
    moved_ctrl = sign * (res_attr - ctrl_attr) > 0
    same = res_label == target
    control_moved = sign * (ctrl_attr - base_attr) > 0
    return {
        "attribute": attribute,
        "high": high_name,
        "low": low_name,
        "cases": len(cases),
        "attr_group": attr_group,
        "base_group": base_group,
        "pool": n_pool,
        "pool_confident_share": float((conf >= confidence).mean()),
        "moved_rate": float(moved.mean()),
        "moved_vs_control_rate": float(moved_ctrl.mean()),
        "same_digit_rate": float(same.mean()),
        "moved_and_same_rate": float((moved & same).mean()),
        "control_moved_rate": float(control_moved.mean()),
        "mean_change": float((sign * (res_attr - base_attr)).mean()),
        "mean_change_control": float((sign * (ctrl_attr - base_attr)).mean()),
        "_pool": {
            "z": z,
            "images": images,
            "attr": attr,
            "labels": labels,
            "confident": conf >= confidence,
        },
        "_groups": groups,
        "_cases": cases,
        "_results": res_images,
    }
