"""The judge's Textual app: widgets, screens and interface words.

Kept apart from ``judging.client`` (headless, no Textual) so the server side never imports
Textual, and split into small modules: ``strings`` (every word the judge reads, zh and en),
``model`` (plain functions from the client's state to what the screen shows), ``messages``
(every custom message in one place), ``widgets`` and ``form`` (dumb widgets that render what
they are given), ``confirm`` (the confirmation dialog) and ``app`` (the app, which owns the
client and runs all network I/O in workers).
"""
