"""What a conversation is, in one place: the names every process must agree on.

``vocabulary`` holds the customer-experience domain (outcomes, survey kinds
and scales, handoff states, channels, the order-number shape); ``dialogue``
the names the Rasa assistant uses (slots, actions, intents, metadata keys);
``metrics`` the registry of CX metrics (definition, unit, direction, labels).
The store may import ``vocabulary`` and ``metrics``; only the bot side and
the capture layer use ``dialogue``. Nothing here imports Rasa or SQLAlchemy.
"""
