# Shared by the bench scripts (sourced, not run): one way to start a server
# to measure. Needs `bin` (the keepsake binary) and `work` (a scratch folder).
#
# start_keepsake DATA_DIR
#   creates the admin bench@example.com (password bench-password) and an API
#   key, starts `keepsake serve` on a free port, waits for it, stops it on exit.
#   Sets: key (the API key), pid, url. Defines rss FIELD (from /proc status, kB)
#   and now (seconds, for timings).
start_keepsake() {
  local data=$1
  printf 'bench-password\n' | "$bin" user create --admin --email bench@example.com --password-stdin --data-dir "$data" >/dev/null 2>&1
  key=$("$bin" api-key create --email bench@example.com --name bench --data-dir "$data" 2>/dev/null)
  "$bin" serve --data-dir "$data" --listen 127.0.0.1:0 >"$work/serve.out" 2>"$work/serve.err" &
  pid=$!
  trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null || true' EXIT
  for _ in $(seq 200); do grep -q "running at" "$work/serve.out" 2>/dev/null && break; sleep 0.05; done
  url=$(sed -n 's/^Keepsake is running at //p' "$work/serve.out" | head -1)
}

rss() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$pid/status"; }   # kB
now() { date +%s.%N; }
