#!/usr/bin/env bash
# Core benchmark (issue #2): a 1.7 GB torch.save checkpoint (400 x 1024^2 fp32 + 4,000 small tensors), made once
# under .cache/bench/. In the same run, compares
#   inspect --json          vs  a Python zipfile+pickle listing with storages stubbed, and torch.load
#   inspect --json --stats  vs  numpy computing the same statistics over np.memmap of the data entries
# and prints wall times, ratios (ours / reference: below 1 is faster) and peak RSS (/usr/bin/time -v).
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${TENSORSCOPE_PYTHON:-/usr/bin/python3}"
mkdir -p .cache/bench
CK=.cache/bench/big.pt
"$PY" bench/core_bench_make.py "$CK"
[ -f dist/cli.js ] || node scripts/build.mjs
if [ -f dist/cli.js ] && node dist/cli.js --help 2>/dev/null | grep -q inspect; then
  OURS=(node dist/cli.js inspect "$CK" --json)
  how="node dist/cli.js inspect"
else
  OURS=(node --import tsx bench/core_bench_stats.ts "$CK")
  how="openCheckpoint + computeStatsMany (inspect CLI missing)"
fi
cat "$CK" > /dev/null   # warm the page cache for every contender alike
# Node 20 parses every certificate in $NODE_EXTRA_CA_CERTS when it starts (about 30 ms here, whatever the
# program; Node 22+ reads them on first TLS use). Sandboxes behind a TLS proxy set it; a user's shell
# does not. Every contender runs without it; the figure with it is printed as well when it is set.
CLEAN=(env -u NODE_EXTRA_CA_CERTS)

# one timed run of CMD...: prints "seconds maxrss_kib" (wall time from bash's microsecond clock, peak RSS
# from /usr/bin/time -v, whose own wall figure has only 10 ms steps)
once() {
  local log; log=$(mktemp)
  local t0=$EPOCHREALTIME
  /usr/bin/time -v "$@" > /dev/null 2> "$log" || { cat "$log" >&2; rm -f "$log"; return 1; }
  local t1=$EPOCHREALTIME
  awk -v a="$t0" -v b="$t1" -F': ' '/Maximum resident set size/ {printf "%.4f %s\n", b - a, $2}' "$log"
  rm -f "$log"
}

# run CMD...: prints "seconds maxrss_kib", the best of $REPS runs
REPS="${BENCH_REPS:-10}"
run() {
  local best="" rss=""
  for _ in $(seq "$REPS"); do
    local t r; read -r t r < <(once "$@") || return 1
    if [ -z "$best" ] || awk "BEGIN{exit !($t < $best)}"; then best=$t; rss=$r; fi
  done
  echo "$best $rss"
}

# duel CMD_A -- CMD_B: the two run by turns ($REPS each, so both meet the same machine load); prints
# "bestA rssA bestB rssB"
duel() {
  local a=() b=() seen=""
  for x in "$@"; do if [ "$x" = "--" ] && [ -z "$seen" ]; then seen=1; elif [ -z "$seen" ]; then a+=("$x"); else b+=("$x"); fi; done
  local ba="" ra="" bb="" rb=""
  for _ in $(seq "$REPS"); do
    local t r
    read -r t r < <(once "${a[@]}") || return 1
    if [ -z "$ba" ] || awk "BEGIN{exit !($t < $ba)}"; then ba=$t; ra=$r; fi
    read -r t r < <(once "${b[@]}") || return 1
    if [ -z "$bb" ] || awk "BEGIN{exit !($t < $bb)}"; then bb=$t; rb=$r; fi
  done
  echo "$ba $ra $bb $rb"
}

echo "core benchmark: $CK ($(du -h "$CK" | cut -f1)), $(nproc) cores, best of $REPS (listing: ours and the stub by turns); ours = $how"
"${CLEAN[@]}" "${OURS[@]}" > /dev/null   # writes the CLI's V8 code cache, as any first run does
read -r t_ours r_ours t_stub r_stub < <(duel "${CLEAN[@]}" "${OURS[@]}" -- "${CLEAN[@]}" "$PY" bench/core_bench_py.py stub "$CK")
read -r t_node _ t_py0 _ < <(duel "${CLEAN[@]}" node -e 0 -- "${CLEAN[@]}" "$PY" -c pass)
t_ca=""
if [ -n "${NODE_EXTRA_CA_CERTS:-}" ]; then read -r t_ca _ < <(run "${OURS[@]}"); fi
read -r t_torch r_torch < <(REPS=1 run "${CLEAN[@]}" "$PY" bench/core_bench_py.py torch "$CK")
read -r t_stats r_stats < <(REPS=3 run "${CLEAN[@]}" "${OURS[@]}" --stats)
read -r t_np r_np < <(REPS=1 run "${CLEAN[@]}" "$PY" bench/core_bench_py.py numpy "$CK")
read -r ms_ours n_ours < <("${CLEAN[@]}" node --import tsx bench/core_bench_open.ts "$CK" 15)
read -r ms_py n_py < <("${CLEAN[@]}" "$PY" bench/core_bench_py.py stub-inprocess "$CK")
mib() { awk "BEGIN{printf \"%.0f MiB\", $1/1024}"; }
ratio() { awk "BEGIN{printf \"%.2f\", $1/$2}"; }
printf '%-44s %8s  %10s\n' "" "seconds" "peak RSS"
printf '%-44s %8.3f  %10s\n' "inspect --json (ours)" "$t_ours" "$(mib "$r_ours")"
printf '%-44s %8.3f  %10s\n' "python zipfile+pickle, storages stubbed" "$t_stub" "$(mib "$r_stub")"
printf '%-44s %8.3f\n' "start-up alone: node -e 0" "$t_node"
printf '%-44s %8.3f\n' "start-up alone: python3 -c pass" "$t_py0"
if [ -n "$t_ca" ]; then printf '%-44s %8.3f\n' "inspect --json with NODE_EXTRA_CA_CERTS set" "$t_ca"; fi
printf '%-44s %8.2f  %10s\n' "torch.load" "$t_torch" "$(mib "$r_torch")"
printf '%-44s %8.2f  %10s\n' "inspect --json --stats (ours)" "$t_stats" "$(mib "$r_stats")"
printf '%-44s %8.2f  %10s\n' "numpy over np.memmap (same statistics)" "$t_np" "$(mib "$r_np")"
printf '%-44s %8.3f  (%s tensors)\n' "in-process listing, ours (warm openCheckpoint)" "$(awk "BEGIN{print $ms_ours/1000}")" "$n_ours"
printf '%-44s %8.3f  (%s tensors)\n' "in-process listing, python stub" "$(awk "BEGIN{print $ms_py/1000}")" "$n_py"
echo "ratios (ours / reference; < 1 = ours faster):"
echo "  inspect --json / python stub listing : $(ratio "$t_ours" "$t_stub")   (target <= 1, peak <= 100 MiB: $(mib "$r_ours"))"
echo "  in-process listing / python stub     : $(ratio "$ms_ours" "$ms_py")   (without process start-up)"
echo "  inspect --json minus start-up / stub minus start-up : $(ratio "$(awk "BEGIN{print $t_ours - $t_node}")" "$(awk "BEGIN{print $t_stub - $t_py0}")")"
echo "  inspect --json / torch.load          : $(ratio "$t_ours" "$t_torch")"
echo "  inspect --stats / numpy on memmap    : $(ratio "$t_stats" "$t_np")   (target <= 1)"
