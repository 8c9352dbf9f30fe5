"""Decision trees (ID3 / C4.5-style) and random forests on NumPy, with IF-THEN rules.

from tinynet.trees import DecisionTree, RandomForest
tree = DecisionTree().fit(X, y, feature_names=names); print(tree.export_rules())
forest = RandomForest(n_estimators=100, n_jobs=2, random_state=0).fit(X, y)
tree.plot(); tree.export_graphviz("tree.dot")     # a picture (matplotlib) or Graphviz DOT text

Both follow scikit-learn's estimator conventions (get_params / set_params from the constructor,
a parameter repr, its tags) without importing it: clone, GridSearchCV and cross_val_score work.
"""

from .criteria import entropy, gini, information_gain
from .forest import RandomForest
from .tree import DecisionTree

__all__ = ["DecisionTree", "RandomForest", "entropy", "gini", "information_gain"]
