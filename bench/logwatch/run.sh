#!/usr/bin/env bash
# gezi logwatch benchmark: installs the peers from Debian if missing, then runs run.py.
#   bench/logwatch/run.sh [--quick] [--lines N] [--skip crowdsec] [--crowdsec-full] ...
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"

need=()
command -v fail2ban-regex >/dev/null || need+=(fail2ban)
command -v crowdsec >/dev/null || need+=(crowdsec)
[ -x /usr/bin/time ] || need+=(time)
if [ ${#need[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -q
  # CrowdSec stays offline: with this file present the package's post-install does not
  # register with the Central API (Debian README.Debian), and the offline hub it ships
  # (nginx/apache2/sshd parsers, base-http scenarios) is enabled as is.
  if [[ " ${need[*]} " == *" crowdsec "* ]] && [ ! -e /etc/crowdsec/online_api_credentials.yaml ]; then
    $sudo mkdir -p /etc/crowdsec
    echo "# gezi bench: no Central API" | $sudo tee /etc/crowdsec/online_api_credentials.yaml >/dev/null
  fi
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q "${need[@]}"
fi

py="$repo/.venv/bin/python"
[ -x "$py" ] || py="python3"
exec "$py" "$here/run.py" "$@"
