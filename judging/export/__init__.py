"""Exports of a live contest's database: the final standings, the score sheet for public
notice (公示) and the audit trail, as XLSX, CSV, JSON or printable HTML, each carrying a
results digest that ``judging verify`` re-derives from the raw event log.

- ``source``: opens the database, checks the contest file against the recorded hash and
  replays the log (with ``judging.server.replay``);
- ``digest``: the results digest and the record of every export;
- ``data`` and ``audit``: what the documents say, as plain records; ``tables``: the same as
  rows and columns for the table formats; ``words``: their labels in zh and en;
- ``xlsx``, ``csv_``, ``json_``, ``html``: the writers; ``verify``: the re-derivation;
- ``cli``: ``judging export`` and ``judging verify``.
"""
