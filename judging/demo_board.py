"""The demo's foreground: the live scoreboard, plus one status line saying what the simulated
host and judges are doing and how to quit.

The board is the real ``ScoreboardApp`` following the demo server as a viewer; this subclass
only adds the status line.
"""

from __future__ import annotations

import logging
import sys

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Static

from judging.demo import Background, Options
from judging.scoreboard import ScoreboardApp


class DemoBoard(ScoreboardApp):
    """The scoreboard with the demo's status line at the bottom."""

    CSS = ScoreboardApp.CSS + """
    #demo { height: 1; background: #262626; color: #bcbcbc; padding: 0 1; }
    """

    def __init__(self, url: str, demo: Background | None = None, lang: str | None = None, **kwargs) -> None:
        super().__init__(url, lang, **kwargs)
        self.demo = demo

    def compose(self) -> ComposeResult:
        yield from super().compose()
        yield Static(id="demo")

    def on_mount(self) -> None:
        super().on_mount()
        self.set_interval(0.25, self.show_demo_line)
        self.show_demo_line()

    def show_demo_line(self) -> None:
        line = self.demo.line if self.demo is not None else ""
        hint = "q / Ctrl+C: quit"
        self.query_one("#demo", Static).update(Text.assemble(("demo  ", "bold"), line, "   ", (hint, "dim")))


def run_board_demo(options: Options, lang: str | None = None) -> int:
    """Start the demo in the background, show the board until the user quits, stop the demo."""
    # Log lines would be drawn over the board; the board and the status line say what matters.
    logging.getLogger("judging").addHandler(logging.NullHandler())
    logging.getLogger("judging").propagate = False
    demo = Background(options)
    try:
        result = demo.start()
    except KeyboardInterrupt:
        demo.stop()
        print("interrupted while starting: the demo is stopped")
        return 130
    except OSError as e:
        print(f"error: cannot serve on {options.host}:{options.port}: {e.strerror or e}", file=sys.stderr)
        return 2
    except Exception as e:  # e.g. the simulated judges could not connect: say so, no traceback
        print(f"error: the demo could not start: {e}", file=sys.stderr)
        return 2
    try:
        DemoBoard(result.url, demo, lang).run()
    except KeyboardInterrupt:
        pass  # a SIGINT from outside the terminal: stop just the same
    finally:
        demo.stop()
    if demo.error is not None:
        print(f"the demo stopped early: {type(demo.error).__name__}: {demo.error}", file=sys.stderr)
        return 1
    if demo.result is not None:
        print(f"demo ended after {demo.result.progress()}")
    return 0
