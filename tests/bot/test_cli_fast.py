"""The `relevo` command line starts without the web stack, the database or the NLU
libraries, and `relevo nlu parse` reuses the model saved by the last training."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from relevo.nlu.yaml_io import dump_rasa_yaml
from tests.live import REPO_ROOT
from tests.nlu.conftest import shop_examples

HEAVY = ("fastapi", "starlette", "uvicorn", "sqlalchemy", "alembic", "sklearn", "scipy",
         "telegram", "slack_sdk", "slack_bolt", "twilio", "aiohttp")

# Runs `relevo ARGS…` in a fresh interpreter and reports, on its last stderr line, which
# heavy packages the command had loaded when it ended.
PROBE = """
import json, sys
from relevo.app.cli import main
heavy = {heavy!r}
try:
    sys.argv = ["relevo", *sys.argv[1:]]
    main()
except SystemExit as exc:
    code = exc.code
else:
    code = 0
loaded = sorted(name for name in heavy if name in sys.modules)
sys.stderr.write("\\nPROBE " + json.dumps({{"code": code, "loaded": loaded}}) + "\\n")
"""


def probe(cwd: Path, *args: str) -> tuple[dict[str, Any], str, str]:
    """(exit code and heavy packages loaded, stdout, stderr without the probe line)."""
    result = subprocess.run(
        [sys.executable, "-c", PROBE.format(heavy=HEAVY), *args], cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
        capture_output=True, text=True, timeout=120, check=False,
    )
    stderr, _, report = result.stderr.rpartition("\nPROBE ")
    assert report, result.stderr
    return json.loads(report), result.stdout, stderr.strip()


def test_importing_the_cli_loads_nothing_heavy(tmp_path: Path) -> None:
    code = "import sys, json, relevo.app.cli; print(json.dumps(sorted(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                            text=True, timeout=60, check=True)
    loaded = {name.split(".")[0] for name in json.loads(result.stdout)}
    assert loaded.isdisjoint(HEAVY), sorted(loaded & set(HEAVY))


def test_help_and_version_answer_without_loading_anything_heavy(tmp_path: Path) -> None:
    helped, out, _ = probe(tmp_path, "--help")
    version, version_out, _ = probe(tmp_path, "version")
    assert helped == {"code": 0, "loaded": []}
    for command, words in {"run": "Serve relevo", "operators": "Operators:",
                           "contacts": "GDPR", "nlu": "NLU:", "kb": "Knowledge base",
                           "telegram": "Telegram", "db": "Database schema",
                           "version": "version"}.items():
        line = next((row for row in out.splitlines() if f" {command} " in row), "")
        assert words in line, f"{command!r} not listed with its help:\n{out}"
    assert version == {"code": 0, "loaded": []}
    assert version_out.strip() == "0.1.0"


def test_a_lazy_sub_command_runs_and_shows_its_own_help(tmp_path: Path) -> None:
    report, out, _ = probe(tmp_path, "nlu", "--help")
    assert report["code"] == 0
    for command in ("train", "parse", "eval", "serve", "export-rasa"):
        assert command in out
    unknown, _, err = probe(tmp_path, "nlux")
    assert unknown["code"] == 2 and "No such command" in err


def test_parse_uses_the_model_the_last_training_saved(tmp_path: Path) -> None:
    data = tmp_path / "train.yml"
    data.write_text(dump_rasa_yaml(shop_examples()))
    trained, trained_out, _ = probe(tmp_path, "nlu", "train", "--train", str(data))
    saved = tmp_path / ".relevo" / "nlu-model.npz"
    assert trained["code"] == 0 and f"model written to {Path('.relevo/nlu-model.npz')}" \
        in trained_out
    assert saved.exists()
    # A fresh process: the saved model answers, and scikit-learn (training) never loads.
    parsed, parsed_out, note = probe(tmp_path, "nlu", "parse", "kiero debolver el movil",
                                     "--train", str(data))
    assert parsed["code"] == 0
    assert {"sklearn", "scipy"}.isdisjoint(parsed["loaded"]), parsed
    assert note == f"model: loaded from {Path('.relevo/nlu-model.npz')} (training data unchanged)"
    # The same answer as a model read explicitly from the file.
    explicit, explicit_out, _ = probe(tmp_path, "nlu", "parse", "kiero debolver el movil",
                                      "--model", str(saved))
    assert explicit["code"] == 0
    assert json.loads(parsed_out) == json.loads(explicit_out)
    assert json.loads(parsed_out)["intent"]["name"] == "return_item"


def test_a_changed_training_set_is_trained_again_and_saved(tmp_path: Path) -> None:
    data = tmp_path / "train.yml"
    data.write_text(dump_rasa_yaml(shop_examples()))
    assert probe(tmp_path, "nlu", "train", "--train", str(data))[0]["code"] == 0
    before = (tmp_path / ".relevo" / "nlu-model.npz").read_bytes()
    data.write_text(dump_rasa_yaml(shop_examples()).replace(
        "- where is my order", "- where is my order\n    - wheres my stuff", 1))
    retrained, _, note = probe(tmp_path, "nlu", "parse", "wheres my stuff", "--train", str(data))
    assert retrained["code"] == 0 and "sklearn" in retrained["loaded"]
    assert note.startswith("model: trained on ") and note.endswith(
        f"saved to {Path('.relevo/nlu-model.npz')}")
    assert (tmp_path / ".relevo" / "nlu-model.npz").read_bytes() != before
    again, _, note = probe(tmp_path, "nlu", "parse", "wheres my stuff", "--train", str(data))
    assert again["code"] == 0 and "sklearn" not in again["loaded"]
    assert note.startswith("model: loaded from")


def test_the_model_path_comes_from_the_configuration(tmp_path: Path) -> None:
    data = tmp_path / "train.yml"
    data.write_text(dump_rasa_yaml(shop_examples()))
    (tmp_path / "config.yml").write_text("nlu:\n  model_path: models/shop.npz\n")
    trained, out, _ = probe(tmp_path, "nlu", "train", "--train", str(data))
    assert trained["code"] == 0 and (tmp_path / "models" / "shop.npz").exists(), out
    assert not (tmp_path / ".relevo").exists()
