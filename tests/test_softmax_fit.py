"""The intent classifier's own fit gives the model scikit-learn would, from the two feature blocks."""
import numpy as np
import pytest
from scipy import sparse
from sklearn.linear_model import LogisticRegression

from bot.nlu.softmax_fit import fit_logistic_regression


def _problem(n_classes: int, seed: int = 7):
    """Sparse counts and dense vectors that carry some of each class, plus noise."""
    rng = np.random.default_rng(seed)
    labels = np.array([f"intent_{i % n_classes}" for i in range(240)])
    index = np.array([int(label.rsplit("_", 1)[1]) for label in labels])
    counts = rng.poisson(0.05, size=(240, 300)).astype(float)
    counts[np.arange(240), index * 7] += 1.0  # a word typical of the class
    vectors = rng.normal(size=(240, 16))
    vectors[:, 0] += index  # and a direction of meaning
    return sparse.csr_matrix(counts), vectors, labels


@pytest.mark.parametrize("n_classes", [2, 5])
def test_the_fit_predicts_as_scikit_learns_own(n_classes):
    ngrams, vectors, labels = _problem(n_classes)
    ours = fit_logistic_regression(
        LogisticRegression(C=100.0, class_weight="balanced", max_iter=3000), ngrams, vectors, labels
    )
    theirs = LogisticRegression(C=100.0, class_weight="balanced", max_iter=3000, tol=1e-8).fit(
        sparse.hstack([ngrams, sparse.csr_matrix(vectors)]).tocsr(), labels
    )
    unseen_ngrams, unseen_vectors, _ = _problem(n_classes, seed=11)
    unseen = sparse.hstack([unseen_ngrams, sparse.csr_matrix(unseen_vectors)]).tocsr()

    assert list(ours.classes_) == list(theirs.classes_)
    assert np.array_equal(ours.predict(unseen), theirs.predict(unseen))
    assert np.abs(ours.predict_proba(unseen) - theirs.predict_proba(unseen)).max() < 5e-3


def test_balanced_class_weights_favour_the_rare_class_as_scikit_learns_do():
    rng = np.random.default_rng(3)
    labels = np.array(["common"] * 120 + ["other"] * 70 + ["rare"] * 10)
    vectors = rng.normal(size=(200, 4))
    vectors[120:190, 1] += 1.5
    vectors[190:, 0] += 1.2
    ngrams = sparse.csr_matrix((200, 3))
    features = sparse.hstack([ngrams, sparse.csr_matrix(vectors)]).tocsr()
    rare_predicted = {}
    for weight in (None, "balanced"):
        ours = fit_logistic_regression(LogisticRegression(C=1.0, class_weight=weight), ngrams, vectors, labels)
        theirs = LogisticRegression(C=1.0, class_weight=weight, tol=1e-8).fit(features, labels)
        assert np.array_equal(ours.predict(features), theirs.predict(features))
        rare_predicted[weight] = (ours.predict(features) == "rare").sum()
    assert rare_predicted["balanced"] > rare_predicted[None]
