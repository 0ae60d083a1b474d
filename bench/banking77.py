"""Banking77 accuracy of our NLU pipeline beside the published figures.

``config.yml``'s NLU components (without anything FAQ-specific) trained on
Banking77's 10,003 training messages and scored on its 3,080 test messages,
77 intents. About 8 minutes on this 2-core machine, so it is a bench, not a
test.

    PYTHONPATH=. .venv/bin/python -m bench.banking77
"""
import tempfile
from pathlib import Path

from bot.nlu.independent_evaluation import BANKING77_PUBLISHED, banking77_benchmark


def main() -> None:
    with tempfile.TemporaryDirectory() as work:
        accuracy = banking77_benchmark(Path(work))
    print(f"{'model':28} {'accuracy %':>10}")
    print(f"{'ours (config.yml)':28} {accuracy * 100:>10.2f}")
    for name, value in BANKING77_PUBLISHED.items():
        print(f"{name + ' (published)':28} {value:>10.2f}")


if __name__ == "__main__":
    main()
