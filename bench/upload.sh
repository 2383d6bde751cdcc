#!/usr/bin/env bash
# Upload benchmark (issue: foundation). Measures, in one run on this machine:
#   * idle RSS of `keepsake serve` after start;
#   * `immich upload -r -c 4` of the benchmark corpus (../shared/bench/make-corpus.sh):
#     files/s and MB/s, next to `cp -r` of the same files (with and without sync);
#   * peak RSS of the server while one 1 GiB file uploads (curl, streamed multipart).
#
#   bench/upload.sh                 # builds release, makes the corpus if needed
#   CORPUS_DIR=/x bench/upload.sh   # reuse a corpus built earlier
# Needs: the Immich CLI harness (tests/immich-cli, `npm ci --prefix tests/immich-cli`), curl.
set -euo pipefail

repo=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=lib.sh
source "$repo/bench/lib.sh"
work=${BENCH_WORK:-/tmp/keepsake-bench}
corpus=${CORPUS_DIR:-$work/corpus}
mkdir -p "$work"

echo "==> release build" >&2
(cd "$repo" && cargo build --release -q)
bin=$repo/target/release/keepsake
immich=${KEEPSAKE_IMMICH_CLI:-$repo/tests/immich-cli/immich}
[[ -x $immich ]] || { echo "Immich CLI missing: npm ci --prefix tests/immich-cli" >&2; exit 1; }

if [[ ! -d $corpus ]] || [[ -z "$(ls -A "$corpus")" ]]; then
  echo "==> building the corpus into $corpus" >&2
  CORPUS_DIR=$corpus "${KEEPSAKE_SHARED:-$repo/../shared}/bench/make-corpus.sh" >&2
fi
files=$(find "$corpus" -type f | wc -l)
bytes=$(du -sb "$corpus" | cut -f1)

data=$work/data
rm -rf "$data" "$work/cp-copy" "$work/immich-config" "$work/big"
mkdir -p "$data" "$work/big"

echo "==> starting keepsake" >&2
start_keepsake "$data"
idle_rss=$(rss VmRSS)

echo "==> cp -r (the disk's limit)" >&2
sync; t0=$(now); cp -r "$corpus" "$work/cp-copy"; t1=$(now); sync; t2=$(now)
rm -rf "$work/cp-copy"; sync

echo "==> immich upload -r -c 4" >&2
"$immich" -d "$work/immich-config" login "$url" "$key" >/dev/null
echo 5 > "/proc/$pid/clear_refs" 2>/dev/null || true
t3=$(now)
"$immich" -d "$work/immich-config" upload -r -c 4 --no-progress "$corpus" >"$work/upload.out" 2>&1
t4=$(now)
corpus_peak=$(rss VmHWM)
grep -E "Found|Successfully uploaded" "$work/upload.out" >&2 || true

echo "==> one 1 GiB upload" >&2
head -c 1073741824 /dev/urandom > "$work/big/big.mov"
echo 5 > "/proc/$pid/clear_refs" 2>/dev/null || true
before_big=$(rss VmRSS)
t5=$(now)
curl -sS -o "$work/big.out" -w '%{http_code}' -H "x-api-key: $key" \
  -F fileCreatedAt=2020-01-01T00:00:00.000Z -F fileModifiedAt=2020-01-01T00:00:00.000Z \
  -F "assetData=@$work/big/big.mov;type=application/octet-stream" "$url/api/assets" >"$work/big.code"
t6=$(now)
big_peak=$(rss VmHWM)
rm -rf "$work/big"

python3 - "$files" "$bytes" "$t0" "$t1" "$t2" "$t3" "$t4" "$t5" "$t6" "$idle_rss" "$corpus_peak" "$before_big" "$big_peak" "$(cat "$work/big.code")" <<'PY'
import sys
files, nbytes = int(sys.argv[1]), int(sys.argv[2])
t = [float(x) for x in sys.argv[3:10]]
idle, corpus_peak, before_big, big_peak = (int(x) for x in sys.argv[10:14])
code = sys.argv[14]
mb = nbytes / 1e6
cp, cp_sync, up, big = t[1]-t[0], t[2]-t[0], t[4]-t[3], t[6]-t[5]
print(f"corpus: {files} files, {mb:.1f} MB")
print(f"{'':28} {'seconds':>8} {'files/s':>9} {'MB/s':>8}")
print(f"{'cp -r':28} {cp:8.2f} {files/cp:9.1f} {mb/cp:8.1f}")
print(f"{'cp -r + sync':28} {cp_sync:8.2f} {files/cp_sync:9.1f} {mb/cp_sync:8.1f}")
print(f"{'immich upload -r -c 4':28} {up:8.2f} {files/up:9.1f} {mb/up:8.1f}")
print(f"upload / (cp + sync) time ratio: {up/cp_sync:.2f}x")
print(f"idle RSS after start: {idle/1024:.1f} MiB")
print(f"peak RSS during the corpus upload: {corpus_peak/1024:.1f} MiB")
print(f"1 GiB upload: HTTP {code}, {big:.2f} s ({1073.741824/big:.0f} MB/s); RSS before {before_big/1024:.1f} MiB, peak during {big_peak/1024:.1f} MiB")
PY
