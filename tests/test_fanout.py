"""Frames built once and written as they are (judging/fanout.py)."""

from __future__ import annotations

import json

from judging import fanout


def test_empty_updates_are_the_frames_update_frame_would_build():
    for epoch in ("3fa9c2d1", 'é"\\x'):
        built = fanout.empty_updates(epoch, 7, 140)  # 126+ bytes: not one of them; all short frames
        assert built == b"".join(fanout.update_frame(epoch, s, {}) for s in range(7, 140))
        first = built[2 : 2 + built[1]]
        assert json.loads(first) == {"type": "update", "epoch": epoch, "seq": 7, "patch": {}}
    assert fanout.empty_updates("e", 5, 5) == b""


def test_frame_lengths_use_the_three_header_forms():
    for n, head in ((125, 2), (126, 4), (65535, 4), (65536, 10)):
        framed = fanout.frame("x" * n)
        assert len(framed) == head + n and framed[0] == 0x81
