#!/usr/bin/env bash
# The main job, end to end, on the embedded default: makes a tiny base model, starts `finetune serve`
# (the embedded Azurite, the Durable worker and sidecar, the drop folders, the local training backend,
# OpenAI-compatible serving), drops the bundled
# sample chat dataset into uploads/, follows the job through Validate → Prepare → Train → Evaluate →
# Deploy, then prints the status URL, base and tuned scores, a reply from the deployed model through
# /v1/chat/completions, and the web console's URL (FINETUNE_DEMO_KEEP=1 keeps the server up to open it).
# Everything lives under .demo/ (deleted at the start of each run).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
bash infra/local/setup.sh
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet build src/FineTune.Cli -c Release -nologo -v q
dll="$root/src/FineTune.Cli/bin/Release/net10.0/finetune.dll"
ft() { dotnet "$dll" "$@"; }

demo="$root/.demo"
port=${FINETUNE_DEMO_PORT:-7071}
url="http://127.0.0.1:$port"
rm -rf "$demo"; mkdir -p "$demo/data/uploads" "$demo/data/datasets" "$demo/data/models"

echo "== 1. a tiny random Qwen2 base model (no download)"
ft model init --arch qwen2 --out "$demo/data/models/tiny-qwen2"

echo "== 2. finetune serve on $url (embedded Azurite under .demo/data, local training backend)"
if curl -s -o /dev/null "$url/"; then echo "something already listens on $url; stop it or set FINETUNE_DEMO_PORT"; exit 1; fi
export Pipeline__TrainingPollInterval=00:00:01 Pipeline__MaxTrainingPollInterval=00:00:02
dotnet "$dll" serve --data-dir "$demo/data" --urls "$url" --model "$demo/data/models/tiny-qwen2" > "$demo/serve.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; wait $server 2>/dev/null || true' EXIT
for _ in $(seq 1 120); do
  kill -0 $server 2>/dev/null || { echo "server exited; see $demo/serve.log"; tail -5 "$demo/serve.log"; exit 1; }
  curl -sf "$url/" > /dev/null && break; sleep 0.5
done
curl -sf "$url/" > /dev/null || { echo "server did not start; see $demo/serve.log"; exit 1; }

echo "== 3. drop the sample dataset (and its job manifest) into uploads/"
# The held-out eval set goes to datasets/ (synced to the datasets container; anything in uploads/ starts a job of its own).
python3 - "$root/infra/local/sample/sample-eval.jsonl" "$demo/data/datasets/demo-eval.jsonl" <<'PY'
import json, sys
with open(sys.argv[2], "w") as out:
    for line in open(sys.argv[1]):
        item = json.loads(line)
        out.write(json.dumps({"messages": [{"role": "user", "content": item["question"]}, {"role": "assistant", "content": item["answer"]}]}) + "\n")
PY
cat > "$demo/data/uploads/sample.job.json" <<JSON
{
  "baseModel": "$demo/data/models/tiny-qwen2",
  "preset": "standard",
  "hyperparameters": { "learning_rate": 0.01, "epochs": 10, "batch_size": 4, "lora_rank": 32, "lora_alpha": 64, "lora_dropout": 0 },
  "evalSet": "demo-eval.jsonl",
  "deploymentName": "demo"
}
JSON
sleep 4 # the eval set and the manifest reach storage before the data (a file is complete when unchanged for 3 s)
cp "$root/infra/local/sample/sample.jsonl" "$demo/data/uploads/sample.jsonl"

echo "== 4. the job, live"
job=""
for _ in $(seq 1 120); do
  job=$(curl -sf "$url/api/jobs" | python3 -c 'import json,sys; j=json.load(sys.stdin); j=j.get("jobs", j) if isinstance(j, dict) else j; print(j[0]["instanceId"] if j else "")' 2>/dev/null || true)
  [ -n "$job" ] && break; sleep 0.5
done
[ -n "$job" ] || { echo "no job started; see $demo/serve.log"; exit 1; }
status_url="$url/api/jobs/$job"
last=""
while true; do
  body=$(curl -s "$status_url")
  line=$(echo "$body" | python3 -c 'import json,sys; s=json.load(sys.stdin); c=s.get("customStatus") or {}; print(s["runtimeStatus"], c.get("stage",""), "progress=%s" % c.get("progress",""), "step=%s" % c.get("step",""), "loss=%s" % c.get("loss",""))')
  [ "$line" != "$last" ] && echo "   $line"; last=$line
  case "$line" in Completed*|Failed*|Terminated*) break;; esac
  sleep 1
done

echo "== 5. result"
echo "status URL: $status_url"
echo "$body" | python3 -c '
import json, sys
s = json.load(sys.stdin)
print("runtimeStatus:", s["runtimeStatus"])
out = s.get("output") or {}
if "baseScore" in out:
    print("GSM8K-style accuracy (flexible) on the held-out set: base %.2f -> tuned %.2f; %s" % (out["baseScore"], out["tunedScore"], out.get("gateReason", "")))
print(json.dumps(out, indent=2))'
[ "$(echo "$body" | python3 -c 'import json,sys; print(json.load(sys.stdin)["runtimeStatus"])')" = "Completed" ] || { echo "the job did not complete; see $demo/serve.log"; exit 1; }

echo "== 6. the deployed model over /v1/chat/completions"
# Serving picks deployments up from storage every few seconds.
model=""
for _ in $(seq 1 30); do
  model=$(curl -s "$url/v1/models" | python3 -c 'import json,sys; ids=[m["id"] for m in json.load(sys.stdin)["data"] if m["id"].startswith("ft:") and ":ckpt-" not in m["id"]]; print(ids[0] if ids else "")')
  [ -n "$model" ] && break; sleep 1
done
curl -s "$url/v1/models" | python3 -c 'import json,sys; print("models:", ", ".join(m["id"] for m in json.load(sys.stdin)["data"]))'
[ -n "$model" ] || { echo "no deployed model is served"; exit 1; }
question="Ana has 6 coins in a box. How many coins are in the box?"
curl -s "$url/v1/chat/completions" -H 'Content-Type: application/json' \
  -d "{\"model\": \"$model\", \"messages\": [{\"role\": \"user\", \"content\": \"$question\"}], \"max_tokens\": 40, \"temperature\": 0}" \
  | python3 -c 'import json,sys; r=json.load(sys.stdin); print("model:", r.get("model")); print("reply:", r["choices"][0]["message"]["content"] if "choices" in r else r)'
echo "== 7. the web console"
echo "console: $url/   this job: $url/jobs/$job"
if [ "${FINETUNE_DEMO_KEEP:-0}" = 1 ]; then
  echo "serving until Ctrl+C (FINETUNE_DEMO_KEEP=1); server log: $demo/serve.log"
  wait $server
else
  echo "(the server stops with the demo: run with FINETUNE_DEMO_KEEP=1 to keep it up and open the console)"
fi
echo "done (server log: $demo/serve.log)"
