"""TLS: with a certificate the server speaks wss:// only, and a judge scores over it."""

from __future__ import annotations

import asyncio
import ssl
import subprocess

import pytest
from websockets.asyncio.client import connect

from judging.client import Client
from judging.contest_file import contest_digest_text, load_contest
from judging.server import JudgingServer, Limits, tls_context
from judging.store import Store
from server_fixtures import CONTEST, CONTROL, TOKENS, WAIT, grants


@pytest.fixture
def cert(tmp_path):
    crt, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(crt)],
        check=True, capture_output=True, timeout=60,
    )
    return crt, key


async def test_a_judge_scores_over_wss(tmp_path, cert):
    crt, key = cert
    store = Store(tmp_path / "tls.db")
    store.issue_tokens(grants())
    server = JudgingServer(load_contest(CONTEST), store, contest_digest_text(CONTEST))
    port = await server.start("127.0.0.1", 0, tls_context(str(crt), str(key)))
    trust = ssl.create_default_context(cafile=str(crt))
    control = Client(f"wss://127.0.0.1:{port}", CONTROL, ssl=trust)
    judge = Client(f"wss://127.0.0.1:{port}", TOKENS["E1"], ssl=trust)
    try:
        await control.start(WAIT)
        await judge.start(WAIT)
        await control.control("open", contestants=["C1"])
        sid = await judge.submit("heat", "C1", {"total": "88.50"})
        ack = await judge.wait_ack(sid, WAIT)
        assert ack.revision == 1
        kinds = [e["kind"] for e in store.events()]
        assert kinds.count("mark") == 1
        # Plain ws:// to the TLS port never gets a session.
        with pytest.raises(Exception):
            async with asyncio.timeout(WAIT):
                async with connect(f"ws://127.0.0.1:{port}", open_timeout=WAIT):
                    pass
    finally:
        await judge.close()
        await control.close()
        await server.close()
        store.close()


async def test_with_the_relay_asked_for_scoreboards_over_wss_stay_with_the_server(tmp_path, cert):
    # A TLS session's keys are the server process's: a socket handed to the relay could not be
    # written to. The server keeps its scoreboards and serves them itself.
    crt, key = cert
    store = Store(tmp_path / "tls.db")
    store.issue_tokens(grants())
    server = JudgingServer(load_contest(CONTEST), store, contest_digest_text(CONTEST), Limits(relay=True, audience_interval=0.05))
    port = await server.start("127.0.0.1", 0, tls_context(str(crt), str(key)))
    trust = ssl.create_default_context(cafile=str(crt))
    control = Client(f"wss://127.0.0.1:{port}", CONTROL, ssl=trust)
    viewer = Client(f"wss://127.0.0.1:{port}", None, ssl=trust)
    try:
        await control.start(WAIT)
        await viewer.start(WAIT)
        connection = viewer._ws
        opened = await control.control("open", contestants=["C1"])
        await viewer.wait_for(lambda: viewer.seq == opened.seq, WAIT)
        assert viewer._ws is connection and viewer.snapshots == 1 and viewer.state["status"]["C1"]["status"] == "open"
        assert not server._relay.up and [q for q in server.peers if q.who.role == "viewer"]
    finally:
        await viewer.close()
        await control.close()
        await server.close()
        store.close()
