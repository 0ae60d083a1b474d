"""Intent F1 per language on a held-out split of our own data (bot/nlu/evaluation.py).

The target is 0.90 per language. The split is seeded and the classifier
(TF-IDF n-grams and sentence vectors, logistic regression) deterministic, so
the figures are the same on every run of the same data and config: on
2026-11-30, classifier F1 0.957 (en) and 0.955 (id) over 570 and 569
held-out sentences. Any data edit redraws the split and moves the figures by
about a point. Our own data agrees with our own way of writing: the figures
on messages written elsewhere are in tests/test_nlu_independent.py.
"""
from bot.nlu import evaluation

TARGET_F1 = 0.90


def test_intent_f1_per_language_on_held_out_data(tmp_path, capsys) -> None:
    result = evaluation.run(tmp_path)
    scores = result.f1_by_language()
    # Shown in the test run's output even when the test passes.
    with capsys.disabled():
        print("\n" + result.report())
        for language, score in scores.items():
            print(f"  {language}: {score:.3f} {'meets' if score >= TARGET_F1 else 'BELOW'} the {TARGET_F1} target")
    assert set(scores) == {"id", "en"}
    for language, score in scores.items():
        assert score >= TARGET_F1, f"{language} F1 {score:.3f} is below the {TARGET_F1} target"
