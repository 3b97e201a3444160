#!/usr/bin/env bash
# The step behind action.yml (bash on Linux, macOS and Windows runners; kept
# to bash 3.2, macOS's /bin/bash). Inputs come as INPUT_* variables, the
# runner as BLIT_RUNNER_OS/ARCH, RUNNER_TOOL_CACHE, RUNNER_TEMP, GITHUB_OUTPUT
# and GITHUB_STEP_SUMMARY. BLIT_DOWNLOAD_BASE replaces the release's URL
# (a mirror; the tests serve dist/release/ on 127.0.0.1).
set -euo pipefail

ACTION_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="blit-dev/blit"
MAX_ANNOTATIONS=10

# A workflow command's data and properties, escaped as GitHub reads them:
# an input holding a line end cannot start a command of its own.
escape_data() { local s="${1//%/%25}"; s="${s//$'\r'/%0D}"; printf '%s' "${s//$'\n'/%0A}"; }
escape_property() { local s; s="$(escape_data "$1")"; s="${s//:/%3A}"; printf '%s' "${s//,/%2C}"; }

die() {
  echo "::error title=blit::$(escape_data "$*")"
  exit 1
}

# The version: asked for, or the newest whose checksums this action pins.
pinned_versions() {
  local f
  for f in "$ACTION_DIR"/checksums/*.sha256; do
    [ -e "$f" ] && basename "$f" .sha256
  done
  return 0
}
# The options, split on spaces and line ends (a YAML block may hold them on
# several lines). The outputs and the summary are read from blit's --stats:
# what replaces it (--json) or silences it (-q) is refused before anything is fetched.
options=()
read -r -d '' -a options <<< "${INPUT_ARGS:-}" || true
for option in ${options[@]+"${options[@]}"}; do
  case "$option" in
    # The step puts its own -- before the source and destination inputs.
    --) die "args: -- is not for this step, which passes the source and destination inputs after its own" ;;
    # --quiet as blit takes it abbreviated too (--qui; --qu is ambiguous with --queue-depth, --js with --json-interval).
    --json | --json=* | --qui | --quie | --quiet) die "args: $option is not for this step, which reads blit's --stats for its outputs and summary" ;;
    --*) ;;
    # -q alone or among short options, unless it is the value of -S, -t or -j before it.
    -*q*) case "${option%%q*}" in
        *[Stj]*) ;;
        *) die "args: -q (in $option) is not for this step, which reads blit's --stats for its outputs and summary" ;;
      esac ;;
  esac
done

version="${INPUT_VERSION:-}"
version="${version#v}"
if [ -z "$version" ]; then
  version="$(pinned_versions | sort -t. -k1,1n -k2,2n -k3,3n | tail -n 1)"
  [ -n "$version" ] || die "this action pins no blit version (action/checksums/ is empty)"
fi
sums="$ACTION_DIR/checksums/$version.sha256"
[ -f "$sums" ] || die "this action pins no checksums for blit $version (pinned: $(pinned_versions | tr '\n' ' '))"

case "${BLIT_RUNNER_OS:-}" in
  Linux) os=linux ;;
  macOS) os=darwin ;;
  Windows) os=windows ;;
  *) die "no blit build for runner OS '${BLIT_RUNNER_OS:-}'" ;;
esac
case "${BLIT_RUNNER_ARCH:-}" in
  X64) arch=x64 ;;
  ARM64) arch=arm64 ;;
  *) die "no blit build for runner arch '${BLIT_RUNNER_ARCH:-}'" ;;
esac
# Windows on Arm runs the x64 build.
[ "$os" = windows ] && arch=x64
# A job in a musl container (Alpine) gets the musl build, as install.sh
# picks it: the glibc one cannot start there. BLIT_LIBC=glibc|musl overrides.
libc="${BLIT_LIBC:-}"
case "$libc" in
  "" | glibc | musl) ;;
  *) die "BLIT_LIBC must be glibc or musl, not '$libc'" ;;
esac
# A glibc loader counts where it is not musl's own under glibc's name, as
# Alpine's gcompat and libc6-compat make it.
if [ -z "$libc" ] && [ "$os" = linux ]; then
  for musl in /lib/ld-musl-x86_64.so.1 /lib/ld-musl-aarch64.so.1; do
    [ -e "$musl" ] || continue
    libc=musl
    for ld in /lib64/ld-linux-x86-64.so.2 /lib/ld-linux-x86-64.so.2 /lib/ld-linux-aarch64.so.1; do
      [ -e "$ld" ] || continue
      real="$(readlink -f "$ld" 2>/dev/null)" || real=""
      [ -n "$real" ] && [ "$real" = "$(readlink -f "$musl" 2>/dev/null)" ] || libc=glibc
    done
  done
  [ -n "$libc" ] || libc=glibc
fi
build="$os-$arch"
if [ "$libc" = musl ]; then
  [ "$build" = linux-x64 ] || die "no musl build for $build"
  build=linux-x64-musl
fi
if [ "$os" = windows ]; then asset="blit-$build.zip"; exe=blit.exe; else asset="blit-$build.tar.gz"; exe=blit; fi

pinned="$(awk -v name="$asset" '$2 == name { print $1 }' "$sums")"
[ -n "$pinned" ] || die "the checksums pinned for blit $version have no line for $asset"

sha256() {
  if command -v sha256sum >/dev/null 2>&1; then sha256sum "$1" | cut -d' ' -f1; else shasum -a 256 "$1" | cut -d' ' -f1; fi
}

# The tool cache: <cache>/blit/<version>/<build>/, complete once the marker
# (holding the archive's checked hash) is there.
cache_root="${RUNNER_TOOL_CACHE:-${RUNNER_TEMP:-/tmp}}"
tool_dir="$cache_root/blit/$version/$build"
marker="$cache_root/blit/$version/$build.complete"
if [ -f "$marker" ] && [ "$(cat "$marker")" = "$pinned" ] && [ -x "$tool_dir/$exe" ]; then
  echo "blit $version ($asset) from the tool cache"
else
  base="${BLIT_DOWNLOAD_BASE:-https://github.com/$REPO/releases/download/v$version}"
  work="$(mktemp -d "${RUNNER_TEMP:-/tmp}/blit-download.XXXXXX")"
  trap 'rm -rf "$work"' EXIT
  echo "downloading $base/${asset}"
  curl -fsSL --retry 3 -o "$work/$asset" "$base/$asset" || die "cannot download $base/$asset"
  actual="$(sha256 "$work/$asset")"
  if [ "$actual" != "$pinned" ]; then
    die "checksum mismatch for $asset: this action pins $pinned for blit $version, the download is $actual; not run"
  fi
  echo "checksum OK: $actual  $asset"
  rm -rf "$tool_dir" "$marker"
  mkdir -p "$tool_dir"
  if [ "$os" = windows ]; then
    if command -v unzip >/dev/null 2>&1; then
      unzip -q -o "$work/$asset" -d "$tool_dir"
    else
      powershell -NoProfile -Command "Expand-Archive -Force -Path '$work/$asset' -DestinationPath '$tool_dir'"
    fi
  else
    tar -xzf "$work/$asset" -C "$tool_dir"
  fi
  [ -f "$tool_dir/$exe" ] || die "$asset holds no $exe"
  chmod 755 "$tool_dir/$exe"
  printf '%s\n' "$pinned" > "$marker"
fi
blit="$tool_dir/$exe"
if ! "$blit" --version; then
  [ "$libc" = musl ] && die "the blit in $asset does not run in this container (the musl build needs libstdc++: apk add libstdc++)"
  die "the blit in $asset does not run on this runner"
fi

# The copy: the options, sources one per line, then DEST.
sources=()
while IFS= read -r line; do
  [ -n "$line" ] && sources+=("$line")
done <<< "${INPUT_SOURCE:-}"
[ "${#sources[@]}" -gt 0 ] || die "the source input is empty"
[ -n "${INPUT_DESTINATION:-}" ] || die "the destination input is empty"

now() { if [ -n "${EPOCHREALTIME:-}" ]; then echo "${EPOCHREALTIME/,/.}"; else date +%s; fi; }
out="$(mktemp "${RUNNER_TEMP:-/tmp}/blit-out.XXXXXX")"
err="$(mktemp "${RUNNER_TEMP:-/tmp}/blit-err.XXXXXX")"
started="$(now)"
status=0
# This step makes the annotations and the summary itself, for every pinned
# version: those of a blit that makes its own (GITHUB_ACTIONS=true) would come twice.
GITHUB_ACTIONS='' "$blit" ${options[@]+"${options[@]}"} --stats -- "${sources[@]}" "$INPUT_DESTINATION" > "$out" 2> "$err" || status=$?
ended="$(now)"
cat "$out"
cat "$err" >&2
seconds="$(awk -v a="$started" -v b="$ended" 'BEGIN { printf "%.3f", b - a }')"
stat_of() { sed -n "s/^$1: //p" "$out" | head -n 1; }
files="$(stat_of files)"
bytes="$(stat_of bytes)"

# Failed paths as annotations: a few, then a count.
# The first name a message quotes, read as the shell reads blit's quoting
# ('...' as it is; "..." with its backslashes taken off; $'...' with its
# escapes, where a byte that is not UTF-8 becomes U+FFFD, as GitHub shows
# it; \' between parts, an apostrophe in a name that also needs '...');
# parts side by side are one name. Nothing when nothing is quoted.
first_quoted() {
  local LC_ALL=C
  local s="$1" name="" i=0 n c part code found=""
  n=${#s}
  while [ "$i" -lt "$n" ]; do
    c="${s:i:1}"
    [ "$c" = "'" ] || [ "$c" = '"' ] || [ "${s:i:2}" = "\$'" ] && break
    i=$((i + 1))
  done
  while [ "$i" -lt "$n" ]; do
    c="${s:i:1}"
    if [ "$c" = "'" ]; then
      part="${s:i+1}"
      [[ "$part" == *"'"* ]] || return 0
      part="${part%%\'*}"
      name+="$part"
      i=$((i + ${#part} + 2))
    elif [ "$c" = '"' ]; then
      i=$((i + 1))
      while [ "$i" -lt "$n" ] && [ "${s:i:1}" != '"' ]; do
        [ "${s:i:1}" = "\\" ] && i=$((i + 1))
        name+="${s:i:1}"
        i=$((i + 1))
      done
      [ "$i" -lt "$n" ] || return 0
      i=$((i + 1))
    elif [ "${s:i:2}" = "\$'" ]; then
      i=$((i + 2))
      while [ "$i" -lt "$n" ] && [ "${s:i:1}" != "'" ]; do
        c="${s:i:1}"
        if [ "$c" = "\\" ]; then
          i=$((i + 1))
          c="${s:i:1}"
          case "${s:i:3}" in
            [0-7][0-7][0-7])
              code=$((8#${s:i:3}))
              i=$((i + 2))
              if [ "$code" -ge 128 ]; then c=$'\xef\xbf\xbd'; else printf -v c '%b' "\\0${s:i-2:3}"; fi ;;
            *)
              case "$c" in a) c=$'\a' ;; b) c=$'\b' ;; e | E) c=$'\e' ;; f) c=$'\f' ;; n) c=$'\n' ;; r) c=$'\r' ;; t) c=$'\t' ;; v) c=$'\v' ;; esac ;;
          esac
        fi
        name+="$c"
        i=$((i + 1))
      done
      [ "$i" -lt "$n" ] || return 0
      i=$((i + 1))
    elif [ "$c" = "\\" ] && [ $((i + 1)) -lt "$n" ]; then
      name+="${s:i+1:1}"
      i=$((i + 2))
    else
      break
    fi
    found=1
  done
  [ -z "$found" ] || printf '%s' "$name"
}
# blit's errors: its lines on stderr but warnings and the closing line of a
# run with --progress, --fail-fast or a signal, which is the summary's.
error_lines() {
  while IFS= read -r line; do
    case "$line" in
      "blit: warning: "* | "blit: copied "* | "blit: dry run, nothing written: "* | "blit: interrupted by "* | "blit: stopped at the first error (--fail-fast): "*) ;;
      "blit: "*) printf '%s\n' "$line" ;;
    esac
  done < "$err"
}
failures=0
while IFS= read -r line; do
  failures=$((failures + 1))
  [ "$failures" -le "$MAX_ANNOTATIONS" ] || continue
  message="${line#blit: }"
  # A usage error (exit 2) quotes an option or an argument, not a file.
  path=""
  [ "$status" -eq 2 ] || path="$(first_quoted "$message")"
  if [ -n "$path" ]; then
    echo "::error file=$(escape_property "$path"),title=blit::$(escape_data "$message")"
  else
    echo "::error title=blit::$(escape_data "$message")"
  fi
done < <(error_lines)
if [ "$failures" -gt "$MAX_ANNOTATIONS" ]; then
  more=$((failures - MAX_ANNOTATIONS))
  echo "::error title=blit::$more more error$([ "$more" -eq 1 ] || echo s) not annotated ($failures in all; the log above has each)"
fi

if [ -n "${GITHUB_OUTPUT:-}" ]; then
  {
    echo "files=${files:-0}"
    echo "bytes=${bytes:-0}"
    echo "seconds=$seconds"
    echo "exit-code=$status"
  } >> "$GITHUB_OUTPUT"
fi
if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
  {
    if [ "$status" -ne 0 ]; then echo "### blit: failed (exit $status)"
    elif grep -q '^dry run: ' "$out"; then echo "### blit: dry run, nothing written"
    else echo "### blit: copied"; fi
    echo ""
    echo "| files | bytes | errors | seconds | blit |"
    echo "| ---: | ---: | ---: | ---: | --- |"
    echo "| ${files:-0} | ${bytes:-0} | $failures | $seconds | $version ($build) |"
    if [ "$failures" -gt 0 ]; then
      echo ""
      echo "First errors:"
      echo ""
      echo '```'
      # sed reads to the end: head would leave error_lines writing to a closed pipe (pipefail).
      error_lines | sed -n "1,${MAX_ANNOTATIONS}p"
      echo '```'
    fi
  } >> "$GITHUB_STEP_SUMMARY"
fi
rm -f "$out" "$err"
exit "$status"
