#!/usr/bin/env bash
# The size regression check of the Lambda functions (make sizes, make record-sizes).
#
#   infra/build/sizes.sh check  [build-dir]   compare build/<fn>.zip with infra/build/sizes.txt
#   infra/build/sizes.sh record [build-dir]   write the current sizes to infra/build/sizes.txt
#
# check fails when a function's zip is more than SIZE_LIMIT_PCT (default 10) percent larger
# than its recorded figure, or when a function under functions/ has no recorded figure.
# Run it after `make build` (the make targets do).
set -euo pipefail
cd "$(dirname "$0")/../.."

mode=${1:-check}
dir=${2:-build}
file=infra/build/sizes.txt
limit=${SIZE_LIMIT_PCT:-10}
goversion=$(go env GOVERSION)
functions=$(for d in functions/*/; do basename "$d"; done)

for fn in $functions; do
	if [[ ! -f $dir/$fn.zip || ! -f $dir/$fn/bootstrap ]]; then
		echo "sizes: $dir/$fn.zip is missing: run make build first" >&2
		exit 2
	fi
done

size() { stat -c %s "$1"; }

case $mode in
record)
	{
		echo "# Sizes of the Lambda functions as \`make build\` makes them: linux/arm64 bootstrap,"
		echo "# CGO_ENABLED=0, -tags lambda.norpc -trimpath -ldflags \"-s -w -buildid=\", zipped."
		echo "# \`make sizes\` (part of \`make test\`) fails when a zip grows more than ${limit}% over its"
		echo "# figure here, or when a function has none. Re-record on purpose with \`make record-sizes\`"
		echo "# and commit this file with the change that explains the growth."
		echo "# recorded $(date -u +%Y-%m-%d) with $goversion"
		printf '# %-14s %15s %12s\n' function bootstrap_bytes zip_bytes
		for fn in $functions; do
			printf '%-16s %15d %12d\n' "$fn" "$(size "$dir/$fn/bootstrap")" "$(size "$dir/$fn.zip")"
		done
	} >"$file.tmp"
	mv "$file.tmp" "$file"
	echo "sizes: recorded in $file:"
	grep -v '^#' "$file"
	;;
check)
	if [[ ! -f $file ]]; then
		echo "sizes: $file does not exist: record the sizes with make record-sizes" >&2
		exit 1
	fi
	recorded_go=$(sed -n 's/^# recorded .* with \(go[^ ]*\).*/\1/p' "$file")
	declare -A rec_zip=()
	while read -r fn _boot zip; do
		[[ -z $fn || $fn == \#* ]] && continue
		rec_zip[$fn]=$zip
	done <"$file"
	failed=() shrunk=()
	printf '%-16s %12s %12s %9s\n' function recorded now change
	for fn in $functions; do
		now=$(size "$dir/$fn.zip")
		was=${rec_zip[$fn]:-}
		if [[ -z $was ]]; then
			printf '%-16s %12s %12d %9s   FAIL: no recorded size\n' "$fn" - "$now" -
			failed+=("$fn (no recorded size)")
			continue
		fi
		change=$(awk -v a="$was" -v b="$now" 'BEGIN { printf "%+.1f%%", (b - a) * 100 / a }')
		note=
		if ((now * 100 > was * (100 + limit))); then
			note="   FAIL: more than +${limit}%"
			failed+=("$fn ($change)")
		elif ((now * 100 < was * (100 - limit))); then
			shrunk+=("$fn")
		fi
		printf '%-16s %12d %12d %9s%s\n' "$fn" "$was" "$now" "$change" "$note"
	done
	for fn in "${!rec_zip[@]}"; do
		[[ -d functions/$fn ]] || echo "sizes: note: $fn is recorded but no longer under functions/ (make record-sizes drops it)"
	done
	if [[ -n $recorded_go && $recorded_go != "$goversion" ]]; then
		echo "sizes: note: recorded with $recorded_go, built with $goversion (a Go upgrade moves sizes a little)"
	fi
	if ((${#shrunk[@]})); then
		echo "sizes: note: ${shrunk[*]} shrank more than ${limit}%: make record-sizes keeps the gain from being undone silently"
	fi
	if ((${#failed[@]})); then
		echo "sizes: FAILED: ${failed[*]}" >&2
		echo "sizes: zips are compared with $file (limit +${limit}%). If the growth is intended (a new" >&2
		echo "sizes: dependency worth its weight, a new function), re-record on purpose: make record-sizes," >&2
		echo "sizes: then commit $file with the change that explains it." >&2
		exit 1
	fi
	echo "sizes: ok (every zip within +${limit}% of $file)"
	;;
*)
	echo "usage: $0 check|record [build-dir]" >&2
	exit 2
	;;
esac
