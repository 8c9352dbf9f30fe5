"""Growing one tree level by level: every open node of a level is split in the same few calls.

The samples of the open nodes are kept in one index array grouped by node. Per level: pick each
node's candidate features, find every node's best split (:mod:`.split_dense` for large or
categorical nodes, :mod:`.split_sorted` for small numeric ones), send the samples to their
children with one stable sort, and count the children's classes with one ``np.bincount``.
A node whose sampled features cannot split it tries a fresh sample once, then all features.
"""

import numpy as np

from . import split_sorted
from .core import CATEGORICAL, NUMERIC, ONE_VS_REST, Tree
from .criteria import impurity
from .split_dense import SplitResult, best_splits_dense, child_term, histogram


def choose_features(rng, k, d, m):
    """(k, m) distinct feature ids per row, uniformly at random (all d, in order, if m >= d)."""
    if m >= d:
        return np.broadcast_to(np.arange(d), (k, d))
    if 4 * m > d:
        return np.argpartition(rng.random((k, d)), m - 1, axis=1)[:, :m]
    # a few more draws with replacement than needed; the first m distinct ones in the order
    # drawn are a uniform m-subset (the m smallest would favour low feature ids)
    draws = rng.integers(0, d, size=(k, m + m // 4 + 4))
    order = np.argsort(draws, axis=1, kind="stable")
    ranked = np.take_along_axis(draws, order, axis=1)
    repeat = np.zeros(draws.shape, dtype=bool)
    repeat[:, 1:] = ranked[:, 1:] == ranked[:, :-1]  # a later draw of the same id
    dup = np.empty_like(repeat)
    np.put_along_axis(dup, order, repeat, axis=1)
    first = np.argsort(dup, axis=1, kind="stable")[:, :m]  # distinct ids first (rarely short)
    return np.take_along_axis(draws, first, axis=1)


def _stable_order(keys, top):
    if top < 65536:
        return np.argsort(keys.astype(np.uint16), kind="stable")
    return np.argsort(keys, kind="stable")


def find_splits(data, params, idx, node_of, yv, wv, counts, F, result, rows):
    """Best split of each node in ``rows`` (positions in ``result``) from the candidates F."""
    sizes = np.bincount(node_of, minlength=len(F))
    small = split_sorted.eligible(data, sizes, counts) if data.sortable else None
    if small is not None:
        small = small & ~data.special[F].any(axis=1)
    if small is None or not small.any():
        best_splits_dense(
            data,
            idx,
            node_of,
            F,
            yv,
            wv,
            counts,
            params.min_samples_leaf,
            params.criterion,
            result,
            rows,
        )
        return
    for group in (~small, small):
        if not group.any():
            continue
        sel = group[node_of]
        local = np.cumsum(group) - 1
        args = (data, idx[sel], local[node_of[sel]], F[group], yv[sel], wv[sel], counts[group])
        if group is small:
            split_sorted.best_splits_sorted(
                *args, sizes[group], params.min_samples_leaf, params.criterion, result, rows[group]
            )
        else:
            best_splits_dense(*args, params.min_samples_leaf, params.criterion, result, rows[group])


class _Records:
    """Node table under construction: nodes are appended per level, splits filled in later."""

    def __init__(self):
        self.values, self.depths, self.trees = [], [], []
        self.n = 0
        self.split = {
            k: [] for k in ("node", "kind", "feature", "threshold", "missing_left", "decrease")
        }
        self.links = {k: [] for k in ("parent", "slot", "child")}

    def add(self, values, depths, trees):
        ids = np.arange(self.n, self.n + len(values))
        self.values.append(values)
        self.depths.append(depths)
        self.trees.append(trees)
        self.n += len(values)
        return ids

    def _table(self, data):
        n = self.n
        cat = lambda k, dt: (
            np.concatenate(self.split[k]).astype(dt) if self.split[k] else np.zeros(0, dt)
        )
        node = cat("node", np.int64)
        t = {
            "kind": np.zeros(n, dtype=np.int8),
            "feature": np.full(n, -1, dtype=np.int32),
            "threshold": np.zeros(n, dtype=np.int32),
            "missing_left": np.zeros(n, dtype=bool),
            "decrease": np.zeros(n),
            "left": np.full(n, -1, dtype=np.int32),
            "right": np.full(n, -1, dtype=np.int32),
            "slot_child": None,
        }
        for k in ("kind", "feature", "threshold", "missing_left", "decrease"):
            t[k][node] = cat(k, t[k].dtype)
        t["value"] = np.concatenate(self.values)
        t["depth"] = np.concatenate(self.depths).astype(np.int32)
        if self.links["parent"]:
            parent, slot, child = (
                np.concatenate(self.links[k]) for k in ("parent", "slot", "child")
            )
            binary = t["kind"][parent] != CATEGORICAL
            t["left"][parent[binary & (slot == 0)]] = child[binary & (slot == 0)]
            t["right"][parent[binary & (slot == 1)]] = child[binary & (slot == 1)]
            t["slot_child"] = (parent[~binary], slot[~binary], child[~binary])
        return t

    def finish(self, data, n_trees):
        """Split the table into one :class:`Tree` per tree, with node ids local to each tree."""
        t = self._table(data)
        tree_of = np.concatenate(self.trees)
        local = np.zeros(self.n, dtype=np.int64)
        out = []
        for k in range(n_trees):
            ids = np.flatnonzero(tree_of == k)
            local[ids] = np.arange(len(ids))
            arrays = {
                f: t[f][ids]
                for f in (
                    "kind",
                    "feature",
                    "threshold",
                    "missing_left",
                    "decrease",
                    "value",
                    "depth",
                )
            }
            for f in ("left", "right"):
                c = t[f][ids]
                arrays[f] = np.where(c >= 0, local[c], -1).astype(np.int32)
            cat = np.flatnonzero(arrays["kind"] == CATEGORICAL)
            width = data.n_codes[arrays["feature"][cat]] + 1
            start = np.full(len(ids), -1, dtype=np.int32)
            start[cat] = np.concatenate([[0], np.cumsum(width)[:-1]]).astype(np.int32)
            branches = np.full(int(width.sum()), -1, dtype=np.int32)
            if t["slot_child"] is not None and len(cat):
                parent, slot, child = t["slot_child"]
                mine = tree_of[parent] == k
                branches[start[local[parent[mine]]] + slot[mine]] = local[child[mine]]
            arrays["branch_start"], arrays["branches"] = start, branches
            out.append(Tree(**arrays))
        return out


def _choose_all(rngs, tree_of, rows, pool, m):
    """Candidate features (from ``pool``) for the nodes ``rows``, each tree drawing from its own
    generator."""
    d = len(pool)
    F = np.empty((len(rows), min(m, d)), dtype=np.int64)
    owner = tree_of[rows]
    for k, rng in enumerate(rngs):
        mine = np.flatnonzero(owner == k)
        if len(mine):
            F[mine] = pool[choose_features(rng, len(mine), d, m)]
    return F


def grow_tree(data, params, weights, rng):
    """Grow one tree on ``data`` with per-sample ``weights`` (n,) (0 = left out); -> :class:`Tree`."""
    return grow_trees(data, params, [weights], [rng])[0]


def grow_trees(data, params, weights, rngs):
    """Grow len(rngs) trees at once, level by level; tree k sees ``weights[k]`` (n,) and draws
    its features from ``rngs[k]``. The trees are exactly those grown one at a time."""
    C = data.n_classes
    pool = data.useful
    d = len(pool)
    m = params.max_features
    T = len(rngs)
    picked = [np.flatnonzero(w > 0) for w in weights]
    idx = np.concatenate(picked)
    wv = np.concatenate([w[p] for w, p in zip(weights, picked)]).astype(np.float64)
    if np.all(wv == np.floor(wv)) and wv.sum() < 2.0**40:  # integer arithmetic: exact and faster
        wv = wv.astype(np.int64)
    integral = wv.dtype.kind == "i"
    yv = data.y[idx]
    node_of = np.repeat(np.arange(T), [len(p) for p in picked])
    rec = _Records()
    counts = histogram(node_of * C + yv, wv, T * C, integral).reshape(T, C)
    totals = counts.sum(axis=1)
    tree_of = np.arange(T)
    open_ids = rec.add(counts, np.zeros(T, dtype=np.int64), tree_of)
    depth = np.zeros(T, dtype=np.int64)
    tries = np.zeros(T, dtype=np.int64)
    while len(open_ids):
        nk = counts.sum(axis=1)
        can = (
            (impurity(counts, params.criterion) > 1e-12)
            & (nk >= params.min_samples_split)
            & (nk >= 2 * params.min_samples_leaf)
            & (depth < params.max_depth)
        )
        if not can.all():
            keep = can[node_of]
            idx, wv, yv = idx[keep], wv[keep], yv[keep]
            node_of = (np.cumsum(can) - 1)[node_of[keep]]
            open_ids, counts, depth, tries, tree_of = (
                a[can] for a in (open_ids, counts, depth, tries, tree_of)
            )
        K = len(open_ids)
        if K == 0 or d == 0:
            break
        result = SplitResult(K)
        every = tries >= 2
        for group in (~every, every):
            if group.any():
                rows = np.flatnonzero(group)
                F = _choose_all(rngs, tree_of, rows, pool, d if group is every else m)
                if len(rows) == K:
                    find_splits(data, params, idx, node_of, yv, wv, counts, F, result, rows)
                else:
                    sel = group[node_of]
                    local = np.cumsum(group) - 1
                    find_splits(
                        data,
                        params,
                        idx[sel],
                        local[node_of[sel]],
                        yv[sel],
                        wv[sel],
                        counts[group],
                        F,
                        result,
                        rows,
                    )
        decrease = result.score - child_term(counts, counts.sum(axis=1), params.criterion)
        split = result.found & (decrease >= params.min_impurity_decrease * totals[tree_of] - 1e-12)
        retry = ~result.found & (m < d) & (tries < 2)
        # --- record the splits, send samples to the children ---
        s = np.flatnonzero(split)
        feat = result.feature[s]
        multiway = data.categorical_split == "multiway"
        is_cat = data.is_categorical[feat] & multiway
        rec.split["node"].append(open_ids[s])
        rec.split["kind"].append(
            np.where(data.is_categorical[feat], CATEGORICAL if multiway else ONE_VS_REST, NUMERIC)
        )
        rec.split["feature"].append(feat)
        rec.split["threshold"].append(result.threshold[s])
        rec.split["decrease"].append(decrease[s])
        width = int(max(2, (data.code_span[feat[is_cat]].max() if is_cat.any() else 0)))
        where = np.full(K, -1, dtype=np.int64)
        where[s] = np.arange(len(s))
        w_of = where[node_of]
        ms = np.flatnonzero(w_of >= 0)
        ns = w_of[ms]
        f_s = feat[ns]
        v = data.codes.reshape(-1).take(f_s * data.codes.shape[1] + idx[ms]).astype(np.int64)
        cat_s = data.is_categorical[f_s]
        thr_s = result.threshold[s][ns]
        miss_s = data.has_missing[f_s] & (v == data.n_codes[f_s]) & ~cat_s
        slot = np.where(miss_s, ~result.missing_left[s][ns], v > thr_s)
        if multiway:
            slot = np.where(cat_s, v, slot)
        else:
            slot = np.where(cat_s, v != thr_s, slot)
        slot = slot.astype(np.int64)
        saw_missing = np.zeros(len(s), dtype=bool)
        if miss_s.any():
            saw_missing[ns[miss_s]] = True
        key = ns * width + slot
        present = np.bincount(key, minlength=len(s) * width) > 0
        pos = np.flatnonzero(present)
        n_children = len(pos)
        child_local = np.cumsum(present) - 1
        r = np.flatnonzero(retry)
        new_index = np.full(len(idx), -1, dtype=np.int64)
        new_index[ms] = child_local[key]
        rmap = np.full(K, -1, dtype=np.int64)
        rmap[r] = n_children + np.arange(len(r))
        in_retry = rmap[node_of] >= 0
        new_index[in_retry] = rmap[node_of[in_retry]]
        alive = int(np.count_nonzero(new_index >= 0))
        new_index[new_index < 0] = n_children + len(r)  # sorts last, then dropped
        order = _stable_order(new_index, n_children + len(r) + 1)[:alive]
        idx, wv, yv, node_of = idx[order], wv[order], yv[order], new_index[order]
        kids = node_of < n_children
        child_counts = histogram(
            node_of[kids] * C + yv[kids], wv[kids], n_children * C, integral
        ).reshape(n_children, C)
        # a numeric node that saw no missing value sends future ones to its heavier child
        heavy = np.zeros((len(s), 2))
        binary = pos % width < 2
        heavy[(pos // width)[binary], (pos % width)[binary]] = child_counts[binary].sum(axis=1)
        rec.split["missing_left"].append(
            np.where(is_cat | saw_missing, result.missing_left[s], heavy[:, 0] >= heavy[:, 1])
        )
        parent = s[pos // width]
        child_ids = rec.add(child_counts, depth[parent] + 1, tree_of[parent])
        rec.links["parent"].append(open_ids[parent])
        rec.links["slot"].append(pos % width)
        rec.links["child"].append(child_ids)
        open_ids = np.concatenate([child_ids, open_ids[r]])
        counts = np.concatenate([child_counts, counts[r]])
        depth = np.concatenate([depth[parent] + 1, depth[r]])
        tries = np.concatenate([np.zeros(n_children, dtype=np.int64), tries[r] + 1])
        tree_of = np.concatenate([tree_of[parent], tree_of[r]])
    return rec.finish(data, T)
