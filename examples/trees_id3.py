"""ID3 decision trees on the course's categorical data sets, read as IF-THEN rules.

    TINYNET_DATA=/path/to/data python examples/trees_id3.py [--dataset mushroom] [--rules 12]

Prints Quinlan's golf ("play tennis") tree as rules, then fits a tree on a stratified 70 % of the
chosen data set (mushroom, car, tic-tac-toe or house-votes-84), reports the accuracy on the other
30 % for ID3's multiway splits and for one-value-against-the-rest splits, and prints the first
rules with their support (majority / samples at the leaf).
"""

import argparse

import numpy as np

from tinynet.datasets import categorical
from tinynet.trees import DecisionTree


def stratified_split(y, test_fraction, seed):
    rng = np.random.default_rng(seed)
    test = np.concatenate(
        [
            rng.permutation(np.flatnonzero(y == c))[: round(test_fraction * np.sum(y == c))]
            for c in np.unique(y)
        ]
    )
    return np.setdiff1d(np.arange(len(y)), test), np.sort(test)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument(
        "--dataset", default="mushroom", choices=[n for n in categorical.NAMES if n != "golf"]
    )
    p.add_argument("--rules", type=int, default=12, help="how many rules to print")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)

    golf = categorical.load_data("golf")
    tree = DecisionTree().fit(
        golf.X, golf.y, feature_names=golf.feature_names, target_name=golf.target_name
    )
    print("golf, ID3 with information gain:\n" + tree.export_rules() + "\n")

    d = categorical.load_data(args.dataset)
    train, test = stratified_split(d.y, 0.3, args.seed)
    for split in ("multiway", "binary"):
        t = DecisionTree(categorical_split=split).fit(
            d.X[train], d.y[train], feature_names=d.feature_names, target_name=d.target_name
        )
        print(
            f"{args.dataset} ({split} splits): test accuracy {t.score(d.X[test], d.y[test]):.4f}, "
            f"depth {t.depth}, {t.n_leaves} leaves; most informative: "
            f"{t.feature_names_[int(np.argmax(t.feature_importances_))]}"
        )
        if split == "multiway":
            rules = t.export_rules(show_counts=True).splitlines()
            more = len(rules) - args.rules
            print("\n".join(rules[: args.rules]) + (f"\n... {more} more" if more > 0 else ""))
            print()


if __name__ == "__main__":
    main()
