"""CX management store: touchpoints, surveys, handoffs, metrics and the demo shop's orders.

The store knows nothing of Rasa: callers hand it plain values.
"""
