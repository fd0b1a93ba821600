#!/usr/bin/env bash
# Create a separate Python 3.10 environment with Rasa 3.6.21 (+ jieba) for bench/rasa_compare.py.
# Rasa needs Python < 3.11 and TensorFlow, so it never goes into the project's own .venv.
#
#   bash bench/setup_rasa.sh            # creates .venv-rasa/ in the project folder
#   RASA_VENV=/some/dir PYTHON310=/path/to/python3.10 bash bench/setup_rasa.sh
#
# About 2 GB on disk and a few minutes; needs a package index (PyPI) once, nothing at run time.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${RASA_VENV:-.venv-rasa}"
# A pyenv shim named python3.10 may exist without 3.10 being the active version, so try
# each candidate and keep the first one that really runs.
find_python310() {
    local candidate
    for candidate in "${PYTHON310:-}" "$(command -v python3.10 || true)" \
        "$(pyenv prefix 3.10 2>/dev/null || true)/bin/python3.10" \
        "$(ls -d "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.10*/bin/python3.10 2>/dev/null | tail -1)"; do
        if [ -n "$candidate" ] && "$candidate" -c 'import sys; assert sys.version_info[:2] == (3, 10)' 2>/dev/null; then
            echo "$candidate"
            return 0
        fi
    done
    return 1
}
PY="$(find_python310 || true)"
if [ -z "$PY" ]; then
    echo "setup_rasa.sh: python3.10 not found; set PYTHON310=/path/to/python3.10 (Rasa 3.6 needs Python 3.8-3.10)" >&2
    exit 1
fi
if [ ! -x "$VENV/bin/rasa" ]; then
    "$PY" -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --upgrade "pip<25" "setuptools<70" wheel
    "$VENV/bin/pip" install --quiet "rasa[jieba]==3.6.21"
fi
"$VENV/bin/rasa" --version
echo "Rasa environment ready: $VENV (use: .venv/bin/python bench/rasa_compare.py --rasa-venv $VENV)"
