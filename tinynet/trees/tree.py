"""DecisionTree: ID3 (information gain, one branch per category) with C4.5-style numeric splits.

    tree = DecisionTree().fit(X, y, feature_names=names)   # X: (n, d) strings and/or numbers
    tree.predict(X_new); tree.predict_proba(X_new)         # (n,) labels; (n, C) rows sum to 1
    print(tree.export_rules())                             # IF outlook = sunny AND ... THEN play = no
    tree.plot(); tree.export_graphviz("tree.dot")          # matplotlib picture; Graphviz DOT text

Columns of strings are categorical and split ID3's way, one branch per value seen at the node;
numeric columns split in two at a threshold (see :mod:`.encoding` for the binning).

Missing values (None, NaN, '?', ''): in a categorical column "missing" is one more value with its
own branch. In a numeric column the split is searched over the known values and the missing ones
go to the side that scores better (if a node saw none, future ones follow its heavier child).
At predict time a category (or a missing value) that no training sample brought to a node stops
there and gets that node's class distribution, i.e. its majority class; with
categorical_split='binary' it goes with "the rest" of a 'value vs rest' split instead.
"""

import numpy as np

from . import draw, rules
from .base import TreeModel, importances, tree_proba
from .grow import grow_tree


class DecisionTree(TreeModel):
    """A single classification tree.

    criterion: 'entropy' (information gain; ID3's) or 'gini'. max_depth: None grows until the
    leaves are pure or too small to split. min_samples_split / min_samples_leaf: (weighted) sample
    counts, i.e. sums of sample_weight times class_weight (unlike scikit-learn, which counts rows:
    weights scaled to sum to 1 leave a single leaf, and under 'balanced' weights a leaf of the
    common class needs more than min_samples_leaf rows). max_features: features drawn at random
    per node (None: all; 'sqrt', 'log2', int, fraction). min_impurity_decrease: a split must
    lower the weighted impurity by this much, as in scikit-learn. max_bins: at most this many
    bins per numeric column (<= 256 keeps codes 1 byte).
    categorical_features: 'auto' (string columns), or a list of column names / indices.
    categorical_split: 'multiway' (ID3: one branch per value) or 'binary' (one value against the
    rest, what a tree on one-hot columns does; often more accurate on small sets).
    class_weight: None, 'balanced' (weights n / (C * class count), for imbalanced data such as
    fraud) or a {label: weight} dict; multiplies sample_weight. random_state: seed for the
    feature draws.

    Fitted: classes_, feature_names_, target_name_, n_features_in_, tree_ (flat arrays),
    feature_importances_, depth, n_leaves.
    """

    def __init__(
        self,
        criterion="entropy",
        max_depth=None,
        min_samples_split=2,
        min_samples_leaf=1,
        max_features=None,
        min_impurity_decrease=0.0,
        max_bins=256,
        categorical_features="auto",
        categorical_split="multiway",
        class_weight=None,
        random_state=None,
    ):
        self.criterion = criterion
        self.max_depth = max_depth
        self.min_samples_split = min_samples_split
        self.min_samples_leaf = min_samples_leaf
        self.max_features = max_features
        self.min_impurity_decrease = min_impurity_decrease
        self.max_bins = max_bins
        self.categorical_features = categorical_features
        self.categorical_split = categorical_split
        self.class_weight = class_weight
        self.random_state = random_state

    def fit(self, X, y, feature_names=None, target_name=None, sample_weight=None):
        """Grow the tree on X (n, d) and labels y (n,); feature_names / target_name label the rules."""
        data, w = self._prepare(X, y, feature_names, target_name, sample_weight, "DecisionTree.fit")
        params = self._params(data.codes.shape[0], "DecisionTree.fit")
        self.tree_ = grow_tree(data, params, w, np.random.default_rng(self.random_state))
        self.fitted_ = True
        return self

    def predict_proba(self, X):
        """Class probabilities (n, len(classes_)), columns in the order of classes_."""
        return self._proba(self._codes(X, "predict_proba"))

    def _proba(self, codes):
        return tree_proba(self.tree_, codes, self.encoder_.n_codes_)

    @property
    def feature_importances_(self):
        """(d,) total information gain (impurity decrease) per feature, normalised to sum to 1."""
        self._check_fitted("feature_importances_")
        return importances([self.tree_], self.n_features_in_)

    @property
    def depth(self):
        """Length of the longest root-to-leaf path (0 for a single leaf)."""
        self._check_fitted("depth")
        return self.tree_.max_depth

    @property
    def n_leaves(self):
        self._check_fitted("n_leaves")
        return self.tree_.n_leaves

    def export_rules(self, show_counts=False, merge=True):
        """The tree as IF-THEN rules, one line per leaf (with show_counts: '(majority/total)');
        with ``merge`` a subtree whose leaves all predict one class is one rule (same-class
        siblings are not listed apart)."""
        self._check_fitted("export_rules")
        return rules.export_rules(
            self.tree_, self.encoder_, self.classes_, self.target_name_, show_counts, merge
        )

    def export_text(self):
        """The tree drawn with indentation, one branch per line."""
        self._check_fitted("export_text")
        return rules.export_text(self.tree_, self.encoder_, self.classes_, self.target_name_)

    def export_graphviz(self, out_file=None, max_depth=None):
        """The tree as Graphviz DOT text (returned; also written to ``out_file`` if given):
        inner boxes name the feature, edges carry the conditions, leaves the class and
        weighted counts. ``max_depth`` cuts deeper subtrees to a '...' box."""
        self._check_fitted("export_graphviz")
        dot = draw.export_graphviz(
            self.tree_, self.encoder_, self.classes_, self.target_name_, max_depth
        )
        if out_file is not None:
            with open(out_file, "w") as f:
                f.write(dot)
        return dot

    def plot(self, max_depth=None, ax=None, fontsize=9):
        """Draw the tree with matplotlib (on ``ax``, or a new figure sized to the tree) -> the
        Axes; the boxes and edge texts of :meth:`export_graphviz`."""
        self._check_fitted("plot")
        return draw.plot(
            self.tree_, self.encoder_, self.classes_, self.target_name_, max_depth, ax, fontsize
        )
