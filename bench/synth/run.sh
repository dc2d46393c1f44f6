#!/usr/bin/env bash
# Synth benchmark (issue #2 goal on a 2-core machine: app synth ≤ 1.5 s and ≤ 250 MB, and
# ≥ 3x faster than `npx cdktf synth`). Prints figures; asserts nothing.
set -euo pipefail
cd "$(dirname "$0")/../.."
export CHECKPOINT_DISABLE=1
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# warm tsx's transform cache once, as any second run would have it
node --import tsx main.ts >/dev/null 2>&1 || true

/usr/bin/time -f "%e %M" -o "$out/app.time" node --import tsx main.ts >/dev/null
cp cdktf.out/stacks/production/cdk.tf.json "$out/app.json"
read -r app_s app_kb < "$out/app.time"

start=$(date +%s.%N)
npx --no-install cdktf synth >/dev/null 2>&1
end=$(date +%s.%N)
cli_s=$(echo "$end - $start" | bc)
cp cdktf.out/stacks/production/cdk.tf.json "$out/cli.json"

same=no
cmp -s "$out/app.json" "$out/cli.json" && same=yes
ratio=$(echo "scale=1; $cli_s / $app_s" | bc)
printf "bench/synth (production stack, %s resources)\n" "$(python3 -c "import json;print(sum(len(v) for v in json.load(open('$out/app.json'))['resource'].values()))")"
printf "  make synth (app)    %6.2f s  %6d MB peak   goal ≤ 1.5 s, ≤ 250 MB\n" "$app_s" "$((app_kb / 1024))"
printf "  npx cdktf synth     %6.2f s\n" "$cli_s"
printf "  ratio               %6sx            goal ≥ 3x\n" "$ratio"
printf "  identical cdk.tf.json: %s\n" "$same"
