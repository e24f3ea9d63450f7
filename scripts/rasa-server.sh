#!/usr/bin/env bash
# Run a real Rasa 3.6 NLU server side by side with relevo's embedded engine.
#
#   scripts/rasa-server.sh [install|train|run|all] [TRAIN_FILE.yml]
#
#   install  create .rasa/venv (Python 3.10) with rasa==3.6.21 (TensorFlow: ~2 GB, minutes)
#   train    export a Rasa project (default data: the demo knowledge base, or TRAIN_FILE)
#            to .rasa/project and train an NLU-only model there
#   run      rasa run --enable-api on 127.0.0.1:${RASA_PORT:-5005} (foreground)
#   all      the three above (default)
#
# Environment: PYTHON310 (interpreter for the venv; default python3.10, then pyenv's 3.10),
# RASA_PORT (5005), RASA_TOKEN (optional; if set, Rasa requires ?token=… like relevo's
# RELEVO_RASA_TOKEN), RELEVO_PYTHON (relevo's interpreter, default .venv/bin/python).
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
rasa_dir="$repo_root/.rasa"
venv="$rasa_dir/venv"
project="$rasa_dir/project"
port="${RASA_PORT:-5005}"
relevo_python="${RELEVO_PYTHON:-$repo_root/.venv/bin/python}"
command="${1:-all}"
train_file="${2:-}"

find_python310() {
    if [[ -n "${PYTHON310:-}" ]]; then echo "$PYTHON310"; return; fi
    if python3.10 --version >/dev/null 2>&1; then echo "python3.10"; return; fi
    # pyenv installs often have 3.10 without a global shim
    if command -v pyenv >/dev/null 2>&1; then
        local candidate
        candidate="$(ls -d "$(pyenv root)"/versions/3.10*/bin/python3.10 2>/dev/null | tail -n1)"
        if [[ -n "$candidate" ]]; then echo "$candidate"; return; fi
    fi
    echo "error: Python 3.10 not found (Rasa 3.6 needs 3.8-3.10); set PYTHON310" >&2
    exit 2
}

do_install() {
    if [[ -x "$venv/bin/rasa" ]]; then
        echo "rasa already installed in $venv"
        return
    fi
    local py
    py="$(find_python310)"
    mkdir -p "$rasa_dir"
    "$py" -m venv "$venv"
    "$venv/bin/pip" install --upgrade "pip<24.1" wheel
    "$venv/bin/pip" install "rasa==3.6.21"
    "$venv/bin/rasa" --version
}

do_train() {
    rm -rf "$project"
    if [[ -n "$train_file" ]]; then
        (cd "$repo_root" && "$relevo_python" -m nlu.cli export-rasa "$project" --train "$train_file")
    else
        (cd "$repo_root" && "$relevo_python" -m nlu.cli export-rasa "$project")
    fi
    (cd "$project" && "$venv/bin/rasa" train nlu --config config.yml --nlu data/nlu.yml \
        --out models --fixed-model-name nlu)
}

do_run() {
    local auth=()
    if [[ -n "${RASA_TOKEN:-}" ]]; then auth=(--auth-token "$RASA_TOKEN"); fi
    cd "$project"
    exec "$venv/bin/rasa" run --enable-api --interface 127.0.0.1 --port "$port" \
        --model models/nlu.tar.gz "${auth[@]}"
}

case "$command" in
    install) do_install ;;
    train) do_train ;;
    run) do_run ;;
    all) do_install; do_train; do_run ;;
    *) echo "usage: $0 [install|train|run|all] [TRAIN_FILE.yml]" >&2; exit 2 ;;
esac
