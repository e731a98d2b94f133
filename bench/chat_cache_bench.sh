#!/usr/bin/env bash
# A multi-turn chat through the HTTP API (/v1/chat/completions, streamed), once with the state
# cache off (--state-cache-mb 0) and once on: every turn resends the whole conversation plus a new
# user message of about 200 tokens, as a chat client does. Prints the time to first token per turn
# for both, the cached_tokens the server reported and the cache lines of /metrics.
#
#   bench/chat_cache_bench.sh SERVER_BINARY MODEL_DIR [TURNS=10] [REPLY_TOKENS=150] [PORT=18431]
#
# USER_WORDS (default 50) sets the words per user message; CACHE_MB (default 1024) the cache;
# CHAT_TEMPLATE a chat template as JSON (passed through a config file), e.g.
# '{"base": "plain", "assistant_prefix": "Assistant:"}'; extra server flags can be given in
# SERVER_FLAGS (e.g. SERVER_FLAGS="--threads 2").
# Needs curl and jq.
set -euo pipefail

server=${1:?usage: $0 SERVER_BINARY MODEL_DIR [TURNS] [REPLY_TOKENS] [PORT]}
model=${2:?usage: $0 SERVER_BINARY MODEL_DIR [TURNS] [REPLY_TOKENS] [PORT]}
turns=${3:-10}
reply_tokens=${4:-150}
user_words=${USER_WORDS:-50}
port=${5:-18431}
cache_mb_on=${CACHE_MB:-1024}
url="http://127.0.0.1:${port}"
work=$(mktemp -d)
server_pid=
served=

cleanup() {
  if [[ -n "$server_pid" ]]; then kill "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# Deterministic user messages: the same words for both runs.
user_message() {
  local turn=$1 words=(the cat sat on a warm mat and we talked about how small boats cross the
    sea when wind is calm please tell me more about this old town its river bridge and the shop
    where they sell bread every day before noon why do birds fly south in winter what would you
    do if it rained all week long)
  local n=${#words[@]} out="" i
  for ((i = 0; i < user_words; i++)); do
    out+="${words[$(((turn * 131 + i * 17 + i * i) % n))]}"
    if ((i % 12 == 11)); then out+=". "; else out+=" "; fi
  done
  printf '%s?' "${out% }"
}

start_server() {
  local mb=$1 config=()
  if [[ -n "${CHAT_TEMPLATE:-}" ]]; then
    jq -n --argjson t "$CHAT_TEMPLATE" '{chat_template: $t}' >"$work/config.json"
    config=(--config "$work/config.json")
  fi
  "$server" --model "$model" --port "$port" --state-cache-mb "$mb" "${config[@]}" ${SERVER_FLAGS:-} \
    >"$work/server-$mb.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 600); do
    if served=$(curl -sf "$url/v1/models" 2>/dev/null); then
      served=$(jq -r '.data[0].id' <<<"$served")
      return 0
    fi
    if ! kill -0 "$server_pid" 2>/dev/null; then
      echo "the server exited; its log:" >&2
      cat "$work/server-$mb.log" >&2
      exit 1
    fi
    sleep 0.2
  done
  echo "the server did not come up" >&2
  exit 1
}

stop_server() {
  kill "$server_pid"
  wait "$server_pid" 2>/dev/null || true
  server_pid=
}

# One chat: writes "turn ttft_ms cached_tokens prompt_tokens" lines to $work/run-$1.txt and the
# replies to $work/replies-$1.txt.
run_chat() {
  local mb=$1 messages='[]' turn body t0 first reply usage cached prompt_tokens line
  : >"$work/run-$mb.txt"
  : >"$work/replies-$mb.txt"
  for ((turn = 1; turn <= turns; turn++)); do
    messages=$(jq -c --arg u "$(user_message "$turn")" '. + [{role: "user", content: $u}]' \
      <<<"$messages")
    body=$(jq -nc --arg model "$served" --argjson m "$messages" --argjson n "$reply_tokens" \
      '{model: $model, messages: $m, max_tokens: $n, min_tokens: $n, temperature: 0,
        stream: true, stream_options: {include_usage: true}}')
    t0=$(date +%s%N)
    first=
    : >"$work/stream.txt"
    while IFS= read -r line; do
      [[ "$line" == data:* ]] || continue
      line=${line#data: }
      [[ "$line" == "[DONE]" ]] && break
      # The first chunk with text (matched in bash: a jq per line would add to the time).
      if [[ -z "$first" && "$line" =~ \"content\":\"[^\"] ]]; then first=$(date +%s%N); fi
      echo "$line" >>"$work/stream.txt"
    done < <(curl -sN "$url/v1/chat/completions" -H 'Content-Type: application/json' -d "$body")
    reply=$(jq -rj '.choices[0].delta.content // empty' <"$work/stream.txt")
    usage=$(jq -c 'select(.usage != null) | .usage' <"$work/stream.txt" | tail -1)
    [[ -n "$usage" ]] || usage='{}'
    cached=$(jq -r '.prompt_tokens_details.cached_tokens // 0' <<<"$usage")
    prompt_tokens=$(jq -r '.prompt_tokens // 0' <<<"$usage")
    echo "$turn $(((${first:-$t0} - t0) / 1000000)) $cached $prompt_tokens" >>"$work/run-$mb.txt"
    printf '%s\n---\n' "$reply" >>"$work/replies-$mb.txt"
    messages=$(jq -c --arg a "$reply" '. + [{role: "assistant", content: $a}]' <<<"$messages")
  done
  curl -s "$url/metrics" | grep -i cache | grep -v '^#' >"$work/metrics-$mb.txt" || true
}

for mb in 0 "$cache_mb_on"; do
  start_server "$mb"
  run_chat "$mb"
  stop_server
done

echo "model: $model; $turns turns; $reply_tokens reply tokens; cache $cache_mb_on MiB"
echo
echo "| turn | prompt tokens | TTFT off ms | TTFT on ms | cached tokens | speed-up |"
echo "|-----:|--------------:|------------:|-----------:|--------------:|---------:|"
paste -d' ' "$work/run-0.txt" "$work/run-$cache_mb_on.txt" |
  while read -r t off_ms _ _ _ on_ms cached prompt; do
    speed=$(awk -v a="$off_ms" -v b="$on_ms" 'BEGIN { printf "%.1f", (b > 0 ? a / b : 0) }')
    printf '| %4s | %13s | %11s | %10s | %13s | %7sx |\n' "$t" "$prompt" "$off_ms" "$on_ms" \
      "$cached" "$speed"
  done
half=$((turns / 2 + 1))
awk -v h="$half" 'NR == FNR { if ($1 >= h) off += $2; next } $1 >= h { on += $2; n++ }
  END { printf "\nlater turns (%d..%d): mean TTFT off %.0f ms, on %.0f ms: %.1fx lower\n",
        h, h + n - 1, off / n, on / n, (on > 0 ? off / on : 0) }' \
  "$work/run-0.txt" "$work/run-$cache_mb_on.txt"
echo
echo "/metrics (cache on):"
cat "$work/metrics-$cache_mb_on.txt"
if cmp -s "$work/replies-0.txt" "$work/replies-$cache_mb_on.txt"; then
  echo "replies identical with the cache on and off: yes"
else
  echo "replies identical with the cache on and off: NO"
  exit 1
fi
