#!/usr/bin/env bash
# Run a command with one shared emulator: S3CONNECTOR_TEST_ENDPOINT points at it, and it
# is stopped when the command ends, fails or is interrupted.
set -euo pipefail
cd "$(dirname "$0")/.."
state=.run/test-emulator
trap 'scripts/emulator.sh stop "$state"' EXIT INT TERM
scripts/emulator.sh start "$state"
S3CONNECTOR_TEST_ENDPOINT=$(cat "$state/moto.url") "$@"
