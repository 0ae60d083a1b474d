"""Intent F1 per language on a held-out split of our own data (bot/nlu/evaluation.py).

The target is 0.90 per language; it is NOT met yet. Measured on 2026-11-22
with the shipped config: classifier F1 0.75-0.78 (en) and 0.84 (id); the
held-out sentences change with every data edit, so figures move by about
three points. No
pipeline variant tried (logistic regression, a transformer layer, more
regularisation, other n-grams) did better; the misses are short ambiguous
replies ("oke kak", "sip"), open-ended out-of-scope questions and overlapping
help / request_human / complain wording, i.e. data work. The floors below
guard against regressions from today's figures; raise them as data improves.
"""
from bot.nlu import evaluation

TARGET_F1 = 0.90
FLOOR_F1 = {"en": 0.72, "id": 0.81}


def test_intent_f1_per_language_on_held_out_data(tmp_path, capsys) -> None:
    result = evaluation.run(tmp_path)
    scores = result.f1_by_language()
    # Shown in the test run's output even when the test passes.
    with capsys.disabled():
        print("\n" + result.report())
        for language, score in scores.items():
            status = "meets" if score >= TARGET_F1 else "BELOW"
            print(f"  {language}: {score:.3f} {status} the {TARGET_F1} target")
    assert set(scores) == {"id", "en"}
    for language, score in scores.items():
        assert score >= FLOOR_F1[language], f"{language} F1 {score:.3f} fell below {FLOOR_F1[language]}"
