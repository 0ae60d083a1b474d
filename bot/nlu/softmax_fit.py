"""Training the intent classifier's logistic regression with its dense block kept dense.

scikit-learn's ``LogisticRegression.fit`` takes one matrix, so the 384
sentence-vector columns rode inside the sparse n-gram matrix, three quarters
of its non-zeros. With L-BFGS (scikit-learn's default) the fit took 500
steps and 4-5 minutes here, most of it inside the optimiser's bookkeeping of
2 million weights; with scikit-learn's Newton-CG, 22 steps and about 2.5
minutes, most of it in sparse products. Here the same objective is minimised
by SciPy's Newton-CG with the n-grams multiplied as a sparse matrix and the
sentence vectors as a dense one, which BLAS does in milliseconds. The
optimum is the same (the problem is strictly convex); the fitted
``LogisticRegression`` predicts like one scikit-learn fitted.

The objective is scikit-learn 1.1's multinomial one: the sum over examples
of ``weight * (logsumexp(z) - z_label)`` plus ``||W||^2 / (2 C)``, the
intercept not penalised, class weights from ``class_weight``.
"""
from dataclasses import dataclass
from typing import Optional, Sequence, Text, Tuple

import numpy as np
from scipy import optimize, sparse
from scipy.special import logsumexp, softmax
from sklearn.linear_model import LogisticRegression
from sklearn.utils.class_weight import compute_class_weight


@dataclass
class _Problem:
    """The training examples in two blocks, and the objective over flat weights."""

    ngrams: sparse.csr_matrix
    vectors: np.ndarray
    onehot: np.ndarray
    weights: np.ndarray
    inverse_c: float
    # The class probabilities at the last weights seen: Newton-CG asks for
    # the Hessian at one point a dozen times.
    _at: Optional[np.ndarray] = None
    _probabilities: Optional[np.ndarray] = None

    def __post_init__(self) -> None:
        self.ngrams_transposed = self.ngrams.T.tocsr()

    @property
    def n_classes(self) -> int:
        return self.onehot.shape[1]

    def _blocks(self, flat: np.ndarray) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
        # One row per feature, one column per class: every product below
        # reads and writes contiguous rows, and nothing is copied.
        coef = flat.reshape(-1, self.n_classes)
        split = self.ngrams.shape[1]
        return coef[:split], coef[split:-1], coef[-1]

    def _scores(self, flat: np.ndarray) -> np.ndarray:
        on_ngrams, on_vectors, intercept = self._blocks(flat)
        return self.ngrams @ on_ngrams + self.vectors @ on_vectors + intercept

    def _back(self, per_example: np.ndarray, flat: np.ndarray) -> np.ndarray:
        """The weights' gradient of ``sum(per_example * scores)``, plus the penalty's."""
        on_ngrams, on_vectors, _ = self._blocks(flat)
        split = self.ngrams.shape[1]
        out = np.empty((flat.size // self.n_classes, self.n_classes))
        out[:split] = self.ngrams_transposed @ per_example
        out[:split] += self.inverse_c * on_ngrams
        out[split:-1] = self.vectors.T @ per_example + self.inverse_c * on_vectors
        out[-1] = per_example.sum(axis=0)
        return out.ravel()

    def loss_and_gradient(self, flat: np.ndarray) -> Tuple[float, np.ndarray]:
        scores = self._scores(flat)
        normaliser = logsumexp(scores, axis=1)
        on_ngrams, on_vectors, _ = self._blocks(flat)
        loss = self.weights @ (normaliser - (scores * self.onehot).sum(axis=1))
        penalty = 0.5 * self.inverse_c * (np.vdot(on_ngrams, on_ngrams) + np.vdot(on_vectors, on_vectors))
        self._at, self._probabilities = flat.copy(), np.exp(scores - normaliser[:, None])
        per_example = self.weights[:, None] * (self._probabilities - self.onehot)
        return loss + penalty, self._back(per_example, flat)

    def hessian_product(self, flat: np.ndarray, direction: np.ndarray) -> np.ndarray:
        if self._at is None or not np.array_equal(self._at, flat):
            self._at, self._probabilities = flat.copy(), softmax(self._scores(flat), axis=1)
        probabilities = self._probabilities
        moved = self._scores(direction)  # the scores' change along ``direction``
        mixed = probabilities * (moved - (probabilities * moved).sum(axis=1, keepdims=True))
        return self._back(self.weights[:, None] * mixed, direction)


def fit_logistic_regression(
    classifier: LogisticRegression, ngrams: sparse.csr_matrix, vectors: np.ndarray, labels: Sequence[Text]
) -> LogisticRegression:
    """Fit ``classifier`` (its ``C``, ``class_weight`` and ``max_iter``) on the two feature blocks.

    Args:
        classifier: an unfitted ``LogisticRegression`` with an intercept.
        ngrams: the sparse features, one row per example.
        vectors: the dense features (already weighted), one row per example.
        labels: each example's class.

    Returns:
        ``classifier``, fitted for the columns ``[ngrams | vectors]``.
    """
    classes, label_index = np.unique(np.asarray(labels), return_inverse=True)
    if len(classes) < 3:  # scikit-learn fits two classes as one binary model
        return classifier.fit(sparse.hstack([ngrams, sparse.csr_matrix(vectors)]).tocsr(), labels)
    weights = np.ones(len(label_index))
    if classifier.class_weight is not None:
        weights = compute_class_weight(classifier.class_weight, classes=classes, y=np.asarray(labels))[label_index]
    problem = _Problem(
        sparse.csr_matrix(ngrams, dtype=np.float64), np.ascontiguousarray(vectors, dtype=np.float64),
        np.eye(len(classes))[label_index], weights, 1.0 / classifier.C,
    )
    n_columns = ngrams.shape[1] + vectors.shape[1]
    result = optimize.minimize(
        problem.loss_and_gradient, np.zeros(len(classes) * (n_columns + 1)), method="Newton-CG", jac=True,
        hessp=problem.hessian_product, options={"maxiter": classifier.max_iter},
    )
    coef = result.x.reshape(n_columns + 1, len(classes))
    classifier.classes_ = classes
    classifier.coef_ = np.ascontiguousarray(coef[:-1].T)
    classifier.intercept_ = coef[-1].copy()
    classifier.n_features_in_ = n_columns
    classifier.n_iter_ = np.array([result.nit])
    return classifier
