#!/usr/bin/env bash
# Resumable-upload benchmark (issue: web app, part 6). One large file three ways, in one run:
#   * `cp` + `sync` of the file (the disk's limit: the anchor);
#   * `POST /api/assets`, one streamed multipart request (what Immich's clients do);
#   * `/api/upload` in 32 MiB pieces (what the web app does): create, PATCH × n.
# Reports seconds, MB/s, the ratio to the anchor and the server's peak RSS for each.
#
#   bench/resumable.sh            # 1 GiB, builds release
#   SIZE_MB=256 bench/resumable.sh
set -euo pipefail

repo=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=lib.sh
source "$repo/bench/lib.sh"
work=${BENCH_WORK:-/tmp/keepsake-bench-resumable}
size_mb=${SIZE_MB:-1024}
piece=$((32 * 1024 * 1024))
rm -rf "$work"
mkdir -p "$work/pieces"

echo "==> release build" >&2
(cd "$repo" && cargo build --release -q)
bin=$repo/target/release/keepsake

data=$work/data
start_keepsake "$data"

# Two different files, so the second upload is not a duplicate of the first.
echo "==> making two ${size_mb} MB files" >&2
head -c $((size_mb * 1048576)) /dev/urandom > "$work/a.mov"
head -c $((size_mb * 1048576)) /dev/urandom > "$work/b.mov"
split -b $piece -d -a 4 "$work/b.mov" "$work/pieces/p"
total=$(stat -c %s "$work/b.mov")
sync

echo "==> cp + sync" >&2
t0=$(now); cp "$work/a.mov" "$work/copy.mov"; sync; t1=$(now)
rm -f "$work/copy.mov"; sync

echo "==> POST /api/assets (multipart)" >&2
echo 5 > "/proc/$pid/clear_refs" 2>/dev/null || true
t2=$(now)
code_multipart=$(curl -sS -o "$work/multipart.out" -w '%{http_code}' -H "x-api-key: $key" \
  -F fileCreatedAt=2020-01-01T00:00:00.000Z -F fileModifiedAt=2020-01-01T00:00:00.000Z \
  -F "assetData=@$work/a.mov;type=application/octet-stream" "$url/api/assets")
t3=$(now)
peak_multipart=$(rss VmHWM)

echo "==> /api/upload in 32 MiB pieces" >&2
echo 5 > "/proc/$pid/clear_refs" 2>/dev/null || true
meta=$(printf '{"filename":"b.mov","fileCreatedAt":"2020-01-01T00:00:00.000Z"}' | base64 -w0)
t4=$(now)
location=$(curl -sS -D - -o /dev/null -X POST -H "x-api-key: $key" -H 'upload-complete: ?0' \
  -H "upload-length: $total" -H "x-keepsake-asset-data: $meta" "$url/api/upload" \
  | tr -d '\r' | sed -n 's/^[Ll]ocation: //p')
offset=0
pieces=("$work"/pieces/p*)
last=$((${#pieces[@]} - 1))
for i in "${!pieces[@]}"; do
  complete='?0'; [[ $i -eq $last ]] && complete='?1'
  code_resumable=$(curl -sS -o "$work/resumable.out" -w '%{http_code}' -X PATCH -H "x-api-key: $key" \
    -H "upload-offset: $offset" -H "upload-complete: $complete" -H 'content-type: application/partial-upload' \
    -T "${pieces[$i]}" "$url$location")
  offset=$((offset + $(stat -c %s "${pieces[$i]}")))
done
t5=$(now)
peak_resumable=$(rss VmHWM)

python3 - "$total" "$t0" "$t1" "$t2" "$t3" "$t4" "$t5" "$peak_multipart" "$peak_resumable" "$code_multipart" "$code_resumable" "${#pieces[@]}" <<'PY'
import sys
total = int(sys.argv[1])
t = [float(x) for x in sys.argv[2:8]]
peak_m, peak_r = int(sys.argv[8]), int(sys.argv[9])
code_m, code_r, n = sys.argv[10], sys.argv[11], int(sys.argv[12])
mb = total / 1e6
cp, multi, res = t[1]-t[0], t[3]-t[2], t[5]-t[4]
print(f"file: {mb:.0f} MB")
print(f"| way | HTTP | seconds | MB/s | × cp+sync | server peak RSS |")
print(f"|---|---|---|---|---|---|")
print(f"| cp + sync (anchor) | | {cp:.2f} | {mb/cp:.0f} | 1.00 | |")
print(f"| POST /api/assets, multipart | {code_m} | {multi:.2f} | {mb/multi:.0f} | {multi/cp:.2f} | {peak_m/1024:.1f} MiB |")
print(f"| /api/upload, {n} pieces | {code_r} | {res:.2f} | {mb/res:.0f} | {res/cp:.2f} | {peak_r/1024:.1f} MiB |")
PY
