#!/usr/bin/env bash
# make demo: the three functions, run through the Lambda runtime interface
# (cargo lambda watch / invoke) against a local emulator seeded with generated logs.
# Everything started here is stopped on exit, failure or Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"
run=.run/demo
rm -rf "$run" && mkdir -p "$run"
watch_pid=""

cleanup() {
  if [[ -n "$watch_pid" ]]; then
    kill -- "-$watch_pid" 2>/dev/null || kill "$watch_pid" 2>/dev/null || true
    wait "$watch_pid" 2>/dev/null || true
  fi
  scripts/emulator.sh stop "$run"
}
trap cleanup EXIT
trap 'echo "demo: interrupted" >&2; exit 130' INT TERM

step() { printf '\n==> %s\n' "$*" >&2; }

step "building the functions and the demo driver"
cargo build --quiet --workspace --bins
# The binaries just built (CARGO_TARGET_DIR, when set, moves them).
bin="${CARGO_TARGET_DIR:-target}/debug"

step "starting the local AWS emulator"
scripts/emulator.sh start "$run"
endpoint=$(cat "$run/moto.url")

# The functions read the same variables they would in Lambda; only the endpoint differs.
cat >"$run/lambda.env" <<ENV
AWS_ENDPOINT_URL=$endpoint
AWS_ACCESS_KEY_ID=testing
AWS_SECRET_ACCESS_KEY=testing
AWS_REGION=us-east-1
S3CONNECTOR_OUTPUT_BUCKET=s3connector-demo-output
S3CONNECTOR_LOG_FORMAT=json
S3CONNECTOR_LOG_LEVEL=info
S3CONNECTOR_ALLOWED_ACCOUNTS=123456789012
S3CONNECTOR_ACCOUNT_EXTERNAL_IDS='{"123456789012":"demo-external-id"}'
ENV
set -a; source "$run/lambda.env"; set +a

step "seeding buckets, queues, generated logs and planted sensitive values"
"$bin"/demo seed "$run"
# The scan function queues its tasks on the scan queue the seed created; it scans the
# seeded buckets only.
cat "$run/scan.env" >>"$run/lambda.env"
# The data bucket is enumerated from its S3 Inventory report (seeded), the logs bucket listed.
echo "S3CONNECTOR_SCAN_CONFIG='{\"buckets\":{\"include\":[\"s3connector-demo-data\",\"s3connector-demo-logs\"]},\"sampling\":{\"max_bytes_per_object\":1048576},\"deadline_margin_seconds\":5,\"inventories\":[{\"bucket\":\"s3connector-demo-data\",\"id\":\"daily\",\"destination_bucket\":\"s3connector-demo-inventory\"}]}'" >>"$run/lambda.env"
set -a; source "$run/lambda.env"; set +a

step "starting cargo lambda watch (the Lambda runtime interface emulator)"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
setsid cargo lambda watch --invoke-port "$port" --ignore-changes --env-file "$run/lambda.env" >"$run/watch.log" 2>&1 &
watch_pid=$!
for _ in $(seq 1 300); do
  python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 1)" 2>/dev/null && break
  kill -0 "$watch_pid" 2>/dev/null || { cat "$run/watch.log" >&2; echo "demo: cargo lambda watch exited" >&2; exit 1; }
  sleep 0.2
done

invoke() { # function, event file, output file
  cargo lambda invoke "$1" --invoke-port "$port" --data-file "$2" --output-format json >"$3" 2>>"$run/invoke.log" || {
    echo "demo: invoking $1 failed:" >&2; cat "$run/invoke.log" >&2; tail -20 "$run/watch.log" >&2; exit 1; }
  echo "invoked $1 with $2" >&2
}

step "invoking the functions"
invoke ingest "$run/ingest-event.json" "$run/ingest.json"
invoke scan events/scheduled-event.json "$run/scan.json"
# Lambda's SQS event source, played by the driver: one task per invocation until none is left.
tasks=0
while "$bin"/demo next-scan-task "$run/scan-task.json" 2>/dev/null; do
  tasks=$((tasks + 1))
  [[ $tasks -le 50 ]] || { echo "demo: the scan queued more than 50 tasks" >&2; exit 1; }
  invoke scan "$run/scan-task.json" "$run/scan-task-$tasks.json"
done
invoke test-connection events/apigw-connection-test.json "$run/connection-ok.json"
invoke test-connection events/apigw-connection-test-missing-bucket.json "$run/connection-missing.json"
invoke test-connection events/apigw-connection-test-invalid.json "$run/connection-invalid.json"
# What the endpoint refuses to do for a caller.
invoke test-connection events/apigw-connection-test-no-role.json "$run/connection-no-role.json"
invoke test-connection events/apigw-connection-test-foreign-account.json "$run/connection-foreign-account.json"
invoke test-connection events/apigw-connection-test-external-id-guess.json "$run/connection-external-id-guess.json"
invoke test-connection events/apigw-connection-test-wrong-path.json "$run/connection-wrong-path.json"
sleep 1 # let the last log lines reach watch.log

step "classifying a log, a gzip CSV export and an e-mail (quoted-printable body, base64 CSV attachment) with planted sensitive values (samples are masked, CSV columns labelled)"
mkdir -p "$run/classify-in"
"$bin"/demo planted "$run/classify-in/planted.log"
"$bin"/demo planted-csv "$run/classify-in/customers.csv.gz"
"$bin"/demo planted-eml "$run/classify-in/renewal.eml"
rc=0; "$bin"/s3connector classify "$run/classify-in" --json >"$run/classify.json" 2>>"$run/invoke.log" || rc=$?
[[ $rc == 1 ]] || { echo "demo: classify exited $rc; 1 (findings made) was expected" >&2; exit 1; }

step "scanning the seeded data bucket from the CLI (the same plan and work, tasks in memory)"
rc=0; "$bin"/s3connector scan --bucket s3connector-demo-data --out "$run/cli-scan" 2>>"$run/invoke.log" || rc=$?
[[ $rc == 1 ]] || { echo "demo: scan exited $rc; 1 (findings made) was expected" >&2; exit 1; }

step "the same scan as a scan of 10^9 objects writes it: per-unit report files, report.json v3 (reports.inline_objects_max 0)"
echo '{"reports": {"inline_objects_max": 0}}' >"$run/scan-v3.json"
rc=0; "$bin"/s3connector scan --config "$run/scan-v3.json" --bucket s3connector-demo-data --out "$run/cli-scan-v3" >"$run/cli-scan-v3.txt" 2>>"$run/invoke.log" || rc=$?
[[ $rc == 1 ]] || { echo "demo: v3 scan exited $rc; 1 (findings made) was expected" >&2; exit 1; }
grep -E "unit file|^[0-9]+ bucket" "$run/cli-scan-v3.txt"
for report in "$run"/cli-scan-v3/scans/*/report.json; do
  (cd "$(dirname "$report")" && ls report.json reports/*)
done

step "writing OCSF Parquet from a VPC Flow Log with the CLI (what the S3 sink writes with S3CONNECTOR_OUTPUT_FORMAT=parquet), queried with DuckDB"
mkdir -p "$run/parquet"
"$bin"/demo vpc-log "$run/parquet/flows.log"
"$bin"/s3connector parse "$run/parquet/flows.log" --type vpcflow --format parquet --out "$run/parquet/flows.parquet" 2>>"$run/invoke.log"
.venv/bin/python - "$run/parquet" <<'PY'
import sys, duckdb
files = f"read_parquet('{sys.argv[1]}/*.parquet')"
print(duckdb.sql(f"SELECT class_uid, class_name, count(*) AS events, min(time) AS first_ms, max(time) AS last_ms FROM {files} GROUP BY ALL"))
print(duckdb.sql(f"SELECT src_endpoint.ip AS src_ip, disposition, count(*) AS flows, sum(traffic.bytes) AS bytes FROM {files} GROUP BY ALL ORDER BY flows DESC LIMIT 5"))
PY

"$bin"/demo summary "$run"
