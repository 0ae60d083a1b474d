"""The spaCy pipeline Rasa tokenises with: spaCy's own Indonesian language data.

Explosion publishes no trained Indonesian pipeline, and nothing may be
downloaded at run time, so this writes ``spacy.blank("id")`` to disk: its
tokenizer knows Indonesian punctuation, reduplication ("tanya-tanya") and
clitic rules, which the whitespace tokenizer does not. Rasa's SpacyNLP loads it
from the path named in config.yml.
"""
import sys
from pathlib import Path

import spacy

DEFAULT_PATH = Path("var/spacy/serambi_id")


def build(path: Path = DEFAULT_PATH) -> Path:
    """Write the blank Indonesian pipeline to ``path`` (idempotent)."""
    if (path / "meta.json").exists():
        return path
    nlp = spacy.blank("id")
    nlp.meta["name"] = "serambi_id"
    nlp.meta["version"] = "1.0.0"
    path.parent.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(path)
    return path


if __name__ == "__main__":
    print(build(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_PATH))
