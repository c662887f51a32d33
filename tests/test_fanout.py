"""Frames built once and written as they are (judging/fanout.py)."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

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


JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**63), max_value=2**63 - 1) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text() | st.integers(min_value=0, max_value=10**6), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(JSONISH)
def test_updates_are_encoded_byte_for_byte_as_the_standard_library_would(value):
    # orjson for speed; what the clients receive is the standard library's compact UTF-8 JSON.
    assert fanout.encode(value) == fanout.dumps(value).encode()


def test_a_real_update_is_encoded_as_the_standard_library_would():
    body = {"type": "update", "epoch": "e", "seq": 9, "patch": {"standings:arts": [{"rank": 1, "name": "段娟 \u2028😀", "total": "92.73", "award": "一等奖"}], "reveal": None, 3: True}}
    assert fanout.update_frame("e", 9, body["patch"]) == fanout.frame(fanout.dumps(body))
