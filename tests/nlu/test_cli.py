from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from relevo.nlu.cli import app
from relevo.nlu.yaml_io import dump_rasa_yaml, parse_rasa_yaml

from .conftest import shop_examples

runner = CliRunner()


def _files(tmp_path: Path) -> tuple[Path, Path]:
    train = tmp_path / "train.yml"
    train.write_text(dump_rasa_yaml(shop_examples()))
    test = tmp_path / "test.yml"
    test.write_text("""\
version: "3.1"
nlu:
- intent: order_status
  examples: |
    - wher is my ordr
    - donde esta mi pedido 12345
- intent: return_item
  examples: |
    - kiero debolver el movil
- intent: out_of_scope
  examples: |
    - what is the capital of mongolia
    - zxqv wplm
""")
    return train, test


# the keys of #5, which scripts read: never renamed, never dropped
OLD_KEYS = ["in_scope_accuracy", "oos_recall", "oos_precision", "macro_f1",
            "train_seconds", "parse_p50_ms", "parse_p99_ms", "n"]
CURVE_KEYS = ["fallback_threshold", "answered_right", "answered_wrong", "declined", "curve",
              "operating_point"]
POINT_KEYS = {"threshold", "answered_right", "answered_wrong", "declined", "oos_declined",
              "oos_answered"}


def test_eval_json_keys(tmp_path: Path) -> None:
    train, test = _files(tmp_path)
    result = runner.invoke(app, ["eval", "--train", str(train), "--test", str(test), "--json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout.strip().splitlines()[-1])
    assert list(body) == OLD_KEYS + CURVE_KEYS
    assert body["n"] == 5
    assert body["in_scope_accuracy"] == 1.0
    assert body["oos_recall"] == 1.0
    # at the configured threshold: all three in-scope messages answered right
    assert (body["fallback_threshold"], body["answered_right"], body["answered_wrong"],
            body["declined"]) == (0.75, 1.0, 0.0, 0.0)
    thresholds = [p["threshold"] for p in body["curve"]]
    assert thresholds == sorted(thresholds) and 0.75 in thresholds and len(thresholds) == 19
    assert all(set(p) == POINT_KEYS for p in body["curve"])
    configured = next(p for p in body["curve"] if p["threshold"] == 0.75)
    assert configured["oos_declined"] == 1.0 and configured["oos_answered"] == 0.0
    assert set(body["operating_point"]) == POINT_KEYS


def test_eval_human_output(tmp_path: Path) -> None:
    train, test = _files(tmp_path)
    result = runner.invoke(app, ["eval", "--train", str(train), "--test", str(test)])
    assert result.exit_code == 0, result.output
    assert "in_scope_accuracy" in result.stdout
    assert "per intent" in result.stdout
    assert "wrong-answer curve" in result.stdout
    assert "0.75*" in result.stdout  # the configured threshold's row is marked


def test_bad_file_exits_2_without_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text("nlu:\n- intent: [oops\n")
    result = runner.invoke(app, ["eval", "--train", str(bad), "--test", str(bad)])
    assert result.exit_code == 2
    assert "bad.yml" in result.stderr
    assert "Traceback" not in result.output
    assert len(result.stderr.strip().splitlines()) == 1  # one readable line
    missing = runner.invoke(app, ["train", "--train", str(tmp_path / "missing.yml")])
    assert missing.exit_code == 2
    assert missing.stderr.startswith("relevo: ") and "missing.yml" in missing.stderr
    assert len(missing.stderr.strip().splitlines()) == 1


def test_train_save_and_parse_model(tmp_path: Path) -> None:
    train, _ = _files(tmp_path)
    model = tmp_path / "model.npz"
    trained = runner.invoke(app, ["train", "--train", str(train), "--out", str(model)])
    assert trained.exit_code == 0, trained.output
    assert "6 intents" in trained.stdout
    parsed = runner.invoke(app, ["parse", "kiero debolver el movil", "--model", str(model)])
    assert parsed.exit_code == 0, parsed.output
    assert json.loads(parsed.stdout)["intent"]["name"] == "return_item"


def test_export_rasa(tmp_path: Path) -> None:
    train, _ = _files(tmp_path)
    out = tmp_path / "rasa"
    result = runner.invoke(app, ["export-rasa", str(out), "--train", str(train)])
    assert result.exit_code == 0, result.output
    config = (out / "config.yml").read_text()
    for component in ("WhitespaceTokenizer", "DIETClassifier", "FallbackClassifier",
                      "char_wb", "assistant_id", "recipe: default.v1"):
        assert component in config
    assert '- "order_status"' in (out / "domain.yml").read_text()
    assert len(parse_rasa_yaml((out / "data" / "nlu.yml").read_text()).examples) == 96
