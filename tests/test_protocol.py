"""The wire vocabulary: every message round-trips, every bad frame is one ProtocolError."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from judging import protocol as p

CLIENT = [
    p.Hello(protocol=1, client="abc123"),
    p.Hello(protocol=1),
    p.Submit(id="s1", round="heat", contestant="C1", scores={"total": "9.50", "内容": "8"}),
    p.SnapshotRequest(),
    *[p.Control(id=f"c-{a}", action=a, data={"contestants": ["C1"], "reason": "超时"}) for a in p.CONTROL_ACTIONS],
    p.Control(id="c0", action="freeze"),
]

SERVER = [
    p.Welcome(protocol=1, role="judge", epoch="ab12cd34", judge="E1"),
    p.Welcome(protocol=1, role="viewer", epoch="ab12cd34"),
    p.Snapshot(epoch="e", seq=7, state={"round": "heat", "order": ["C1", "C2"], "reveal": None}),
    p.Update(epoch="e", seq=8, patch={"status": {"C1": {"status": "open", "revealed": False}}}),
    p.Update(epoch="e", seq=9, patch={}),
    p.Ack(id="s1", seq=3, at="2026-01-01T00:00:00+00:00", revision=2),
    p.Done(id="c1", seq=4),
    p.Preview(id="c2", category="arts", before=[{"rank": 1, "contestant": "C1", "total": "90.00"}], after=[]),
    p.Error(code="locked", message="C1 is locked", ref="s1"),
    p.Error(code="bad_json", message="frame is not valid JSON"),
]


@pytest.mark.parametrize("message", CLIENT, ids=lambda m: type(m).__name__)
def test_client_messages_round_trip(message):
    frame = p.encode(message)
    assert json.loads(frame)["type"] == message.type
    assert p.decode(frame) == message
    assert p.decode(frame.encode("utf-8").decode("utf-8")) == message


@pytest.mark.parametrize("message", SERVER, ids=lambda m: type(m).__name__)
def test_server_messages_round_trip(message):
    assert p.decode_server(p.encode(message)) == message


def test_every_message_type_is_covered():
    assert {type(m) for m in CLIENT} == set(p.CLIENT_MESSAGES.values())
    assert {type(m) for m in SERVER} == set(p.SERVER_MESSAGES.values())
    assert {m.action for m in CLIENT if isinstance(m, p.Control)} == set(p.CONTROL_ACTIONS)


def _submit(**override):
    body = {"type": "submit", "id": "s1", "round": "heat", "contestant": "C1", "scores": {"total": "9"}}
    body.update(override)
    return json.dumps({k: v for k, v in body.items() if v is not ...})


BAD = [
    ("not json", "bad_json"),
    ("{", "bad_json"),
    ("[1, 2]", "bad_frame"),
    ('"hello"', "bad_frame"),
    ("null", "bad_frame"),
    ("[" * 100_000 + "]" * 100_000, "too_large"),
    ("[" * 30_000 + "]" * 30_000, "bad_json"),  # deep nesting under the size limit
    (b'{"type":"hello","protocol":1}', "bad_frame"),
    ("{}", "unknown_type"),
    ('{"type":"welcome","protocol":1,"role":"control","epoch":"x"}', "unknown_type"),
    ('{"type":"nope"}', "unknown_type"),
    ('{"type":7}', "unknown_type"),
    ('{"type":"hello"}', "missing_field"),
    ('{"type":"hello","protocol":"1"}', "bad_field"),
    ('{"type":"hello","protocol":true}', "bad_field"),
    ('{"type":"hello","protocol":1,"client":5}', "bad_field"),
    ('{"type":"hello","protocol":1,"role":"control"}', "unknown_field"),
    ('{"type":"snapshot_request","seq":3}', "unknown_field"),
    (_submit(id=...), "missing_field"),
    (_submit(scores=...), "missing_field"),
    (_submit(id=""), "bad_field"),
    (_submit(id="x" * 65), "bad_field"),
    (_submit(id=5), "bad_field"),
    (_submit(round=None), "bad_field"),
    (_submit(scores=["9"]), "bad_field"),
    (_submit(scores={"total": 9.5}), "bad_field"),
    (_submit(scores={"total": None}), "bad_field"),
    (_submit(judge="E2"), "unknown_field"),
    ('{"type":"control","id":"c","action":"explode"}', "unknown_action"),
    ('{"type":"control","id":"c","action":"open","data":[]}', "bad_field"),
    ('{"type":"control","action":"open"}', "missing_field"),
]


@pytest.mark.parametrize("frame, code", BAD, ids=[c + str(i) for i, (_, c) in enumerate(BAD)])
def test_malformed_frames_raise_protocol_error(frame, code):
    with pytest.raises(p.ProtocolError) as info:
        p.decode(frame)
    assert info.value.code == code
    assert info.value.message


def test_error_carries_the_id_it_answers():
    with pytest.raises(p.ProtocolError) as info:
        p.decode(_submit(id="abc", scores={"total": 9}))
    assert info.value.ref == "abc"
    with pytest.raises(p.ProtocolError) as info:
        p.decode('{"type":"control","id":"c9","action":"explode"}')
    assert info.value.ref == "c9"


def test_decode_server_rejects_bad_frames():
    for frame, code in [("x", "bad_json"), ('{"type":"submit"}', "unknown_type"), ('{"type":"ack","id":"s"}', "bad_frame")]:
        with pytest.raises(p.ProtocolError) as info:
            p.decode_server(frame)
        assert info.value.code == code


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.sampled_from(["type", "id", "round", "contestant", "scores", "action", "data", "protocol", "client", "x"]), json_values))
def test_decode_only_ever_raises_protocol_error(body):
    frame = json.dumps(body)
    try:
        msg = p.decode(frame)
    except p.ProtocolError as e:
        assert e.code in {"bad_json", "bad_frame", "unknown_type", "missing_field", "bad_field", "unknown_field", "unknown_action", "too_large"}
    else:
        assert type(msg) in p.CLIENT_MESSAGES.values()


def test_a_client_accepts_a_large_snapshot_but_the_server_does_not_accept_a_large_frame():
    # The teaching contest's snapshot is ~170 KB: far above the limit for what clients send.
    big = p.encode(p.Snapshot(epoch="e", seq=1, state={"contest": "x" * 300_000}))
    assert p.decode_server(big).state["contest"] == "x" * 300_000
    with pytest.raises(p.ProtocolError) as refused:
        p.decode(json.dumps({"type": "snapshot_request", "pad": "x" * 300_000}))
    assert refused.value.code == "too_large"
