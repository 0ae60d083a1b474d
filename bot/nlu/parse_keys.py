"""What the NLU pipeline adds to a message's parse data, beside Rasa's own keys.

The actions read these keys; this module imports nothing heavy, so the
action server can name them without loading Rasa's NLU.
"""
INDONESIAN = "id"
ENGLISH = "en"

# The language the message is written in ("id" or "en"; absent when unclear).
LANGUAGE_KEY = "language"
# How many more of its words voted for that language than for the other.
LANGUAGE_MARGIN_KEY = "language_margin"
# The full intents of a message's questions when it asks two different things.
QUESTIONS_KEY = "questions"
