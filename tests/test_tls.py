"""TLS: with a certificate the server speaks wss:// only, and a judge scores over it."""

from __future__ import annotations

import asyncio
import ssl
import subprocess

import pytest
from websockets.asyncio.client import connect

from judging.client import Client
from judging.contest_file import contest_digest_text, load_contest
from judging.server import JudgingServer, tls_context
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
