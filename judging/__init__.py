"""judging: run contests live, exact to the cent.

Layers, lowest first: ``judging.rules`` (pure contest rules), ``judging.protocol``,
``judging.store``, ``judging.server``, then the clients and the Textual apps.
"""

__version__ = "0.1.0"
