#!/usr/bin/env bash
# Bench-only: a separate virtualenv with Presidio and spaCy (never gezi dependencies), plus a
# blank spaCy "zh" pipeline saved to a folder so Presidio runs without downloading a model.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
venv=$here/.venv-presidio
py=${PYTHON:-python3}
if [ ! -x "$venv/bin/python" ]; then
  "$py" -m venv "$venv"
  printf '*\n' > "$venv/.gitignore"
fi
"$venv/bin/pip" install -q "presidio-analyzer==2.2.366" "spacy>=3.8,<3.9"
"$venv/bin/python" -c "import spacy; spacy.blank('zh').to_disk('$venv/zh_blank')"
echo "presidio venv ready: $venv"
