"""The rules layer stays headless: importing it (and the file readers and reports built
on it) pulls in no UI, network, database or event-loop module.

Checked in a fresh interpreter so that modules other tests imported do not hide a leak.
"""

from __future__ import annotations

import json
import subprocess
import sys

FORBIDDEN = ("textual", "websockets", "sqlite_utils", "sqlite3", "asyncio", "socket")

PROBE = f"""
import importlib, json, pkgutil, sys
import judging.rules
for info in pkgutil.iter_modules(judging.rules.__path__, "judging.rules."):
    importlib.import_module(info.name)  # every module of the rules layer
import judging.contest_file, judging.scoresheet, judging.report
forbidden = {FORBIDDEN!r}
loaded = sorted(m for m in sys.modules if m.split(".")[0] in forbidden)
print(json.dumps({{"loaded": loaded, "judging": sorted(m for m in sys.modules if m.startswith("judging"))}}))
"""


def probe() -> dict:
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_rules_layer_imports_no_transport_ui_or_database():
    result = probe()
    assert result["loaded"] == []
    # The probe did import what it claims to have checked.
    assert {"judging.rules.engine", "judging.rules.build", "judging.rules.awards", "judging.contest_file", "judging.scoresheet", "judging.report"} <= set(result["judging"])


def test_the_probe_would_notice_a_leak():
    leaky = PROBE.replace("import judging.rules\n", "import judging.rules\nimport asyncio\n", 1)
    done = subprocess.run([sys.executable, "-c", leaky], capture_output=True, text=True, timeout=60)
    assert "asyncio" in json.loads(done.stdout)["loaded"]
