"""The live scoreboard's parts (``judging board``): strings, the pure board model, messages and
the widgets. The app itself is ``judging/scoreboard.py``.

Kept as a package of small modules so that each widget can be read, tested and restyled on
its own, and so that the model (rank changes, prize colours, paging) stays free of Textual.
Nothing here may import ``judging.store`` or ``judging.server``: the board only ever sees what
the server's viewer role sends.
"""
