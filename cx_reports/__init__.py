"""Reporting: the CX figures leads read, computed from the store.

Metrics and their filters (``metric_sql``, ``metrics``, read from the
counters and rollups the store keeps), handoff percentiles from the duration
histograms (``duration_figures``), service levels, follow-up figures, the
voice of the customer and transcripts (``voice``), customers' journeys
(``journey``) and the printed report (``report``). Everything here reads;
the store's write path (``cxm_store``) never imports it.
"""
