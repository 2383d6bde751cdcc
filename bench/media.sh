#!/usr/bin/env bash
# Media pipeline benchmark (issue: media pipeline). In one run on this machine,
# single core, on the corpus from ../shared/bench/make-corpus.sh:
#   * the anchors (../shared/bench): sharp/libvips with Immich's settings on one
#     core, one `exiftool -json -n` batch process, `openssl dgst -sha1`, and
#     vipsthumbnail on the HEIC files (sharp's npm build cannot decode HEVC);
#   * Keepsake's own: SHA-1, metadata and derived media (preview + thumbnail +
#     thumbhash) per file (`cargo bench -p keepsake-media --bench pipeline`);
# then prints the ratios.
#
#   bench/media.sh                   # RUNS=3 anchor runs; builds the corpus if needed
#   CORPUS_DIR=/x RUNS=5 bench/media.sh
# Nothing else should run meanwhile: the anchor harness waits (QUIET_WAIT s) for an idle
# machine and records the CPU others used (foreign CPU) next to each anchor figure.
set -euo pipefail

repo=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
shared=${KEEPSAKE_SHARED:-$repo/../shared}
work=${BENCH_WORK:-/tmp/keepsake-bench}
corpus=${CORPUS_DIR:-$work/corpus}
runs=${RUNS:-3}
res=$work/anchors-$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$work" "$res"

if [[ ! -d $corpus/jpeg ]]; then
  echo "==> building the corpus into $corpus" >&2
  CORPUS_DIR=$corpus "$shared/bench/make-corpus.sh" >&2
fi
corpus=$(cd "$corpus" && pwd)

echo "==> anchors: exiftool, SHA-1, vipsthumbnail (results in $res)" >&2
RUNS=$runs ONLY="setup exiftool hash vips" CORPUS_DIR=$corpus RESULTS_DIR=$res \
  "$shared/bench/run-anchors.sh" >"$res/anchors.log" 2>&1
echo "==> anchor: sharp with Immich's settings, one core" >&2
(cd "$corpus" && UV_THREADPOOL_SIZE=1 SHARP_NODE_MODULES=${ANCHORS_DIR:-/tmp/anchors} VIPS_WARNING=0 \
  node "$shared/bench/sharp-pipeline.mjs" --runs "$runs" --warmup 1 --meta "$res/meta.json" \
  --json "$res/results.jsonl" --out none \
  --label "sharp concurrency(1), 1 job, UV_THREADPOOL_SIZE=1 (strictly one core)" \
  --concurrency 1 --jobs 1 jpeg >>"$res/anchors.log" 2>&1)

echo "==> keepsake: cargo bench -p keepsake-media --bench pipeline" >&2
(cd "$repo" && BENCH_REPS=$runs CORPUS_DIR=$corpus cargo bench -q -p keepsake-media --bench pipeline) \
  | tee "$res/keepsake.txt"

python3 - "$res" <<'PY'
import json, sys
res = sys.argv[1]
rows = [json.loads(l) for l in open(f"{res}/results.jsonl") if l.strip()]
def row(prefix):
    for r in rows:
        if r["label"].startswith(prefix):
            return r
    sys.exit(f"anchor {prefix!r} missing from {res}/results.jsonl")
ours = {}
for line in open(f"{res}/keepsake.txt"):
    if line.startswith("RESULT "):
        k, _, v = line[7:].strip().partition("=")
        ours[k] = float(v)
sharp = row("sharp concurrency(1), 1 job, UV_THREADPOOL_SIZE=1")
exif_all = row("exiftool one process -json -n, all files")
exif_jpeg = row("exiftool one process -json -n, jpeg only")
openssl = row("openssl dgst -sha1")
print()
print("| work | Keepsake | anchor | ratio (anchor / Keepsake) |")
print("|---|---|---|---|")
s = sharp["ms_per_image_throughput"]
print(f"| derived media per corpus JPEG, one core (mean) | {ours['derive_jpeg_ms_mean']:.1f} ms | sharp {s} ms | {s / ours['derive_jpeg_ms_mean']:.2f}x |")
print(f"| derived media per corpus JPEG, one core (median) | {ours['derive_jpeg_ms_median']:.1f} ms | sharp latency p50 {sharp['ms_per_image_latency_median']} ms | {sharp['ms_per_image_latency_median'] / ours['derive_jpeg_ms_median']:.2f}x |")
print(f"| peak RSS | {ours.get('peak_rss_mib', float('nan')):.0f} MiB | sharp {sharp['peak_rss_MB']} MB | |")
m = ours["metadata_ms_mean"]
print(f"| metadata per file (mean, images) | {m:.3f} ms | exiftool batch {exif_all['ms_per_item']} ms (all files), {exif_jpeg['ms_per_item']} ms (JPEGs) | {exif_all['ms_per_item'] / m:.0f}x / {exif_jpeg['ms_per_item'] / m:.0f}x |")
heic = row("vipsthumbnail HEIC -> preview 1440")
if "derive_ms_median_heic" in ours:
    h = ours["derive_ms_median_heic"]
    print(f"| HEIC: preview + thumbnail + thumbhash (ours) vs preview only (vips), one core | {h:.1f} ms (median) | vipsthumbnail {heic['ms_per_item']} ms | {heic['ms_per_item'] / h:.2f}x |")
o = openssl["MB_per_s"]
print(f"| SHA-1 | {ours['sha1_mb_s']:.0f} MB/s | openssl {o} MB/s | {100 * ours['sha1_mb_s'] / o:.0f}% of openssl |")
fc = max(r.get("foreign_cpu_pct_max", 0) for r in rows if "foreign_cpu_pct_max" in r) if any("foreign_cpu_pct_max" in r for r in rows) else None
if fc is not None:
    print(f"\nforeign CPU during anchor runs: max {fc}% (above ~5% means the figures are contaminated)")
PY
