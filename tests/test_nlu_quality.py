"""Intent F1 per language on a held-out split of our own data (bot/nlu/evaluation.py)."""
from bot.nlu import evaluation

MIN_F1 = 0.90


def test_intent_f1_per_language_on_held_out_data(tmp_path) -> None:
    result = evaluation.run(tmp_path)
    print("\n" + result.report())
    scores = result.f1_by_language()
    assert set(scores) == {"id", "en"}
    for language, score in scores.items():
        assert score >= MIN_F1, f"{language} F1 {score:.3f} < {MIN_F1}"
