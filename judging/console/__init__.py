"""The host's and score secretary's console (主持人/记分员), a Textual app.

Split by responsibility: ``strings`` (every word, zh and en), ``model`` (plain functions from
the control view to what the screens show), ``messages`` (every custom message), ``keys``
(the keys and their Footer labels in both languages), ``widgets`` (dumb widgets of the main
screen), ``dialogs`` and ``correction`` (confirmations, forms, the correction preview),
``quiz`` (the points round), ``screens`` (ceremony and review), ``main`` (the main screen)
and ``app`` (owns the headless client and runs all network I/O in workers).
"""
