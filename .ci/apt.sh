# shellcheck shell=bash
# Sourced by .ci/services and .ci/extra: ci_apt_get, apt-get that waits for
# another apt or dpkg (unattended-upgrades, a second CI step, a helper
# installing something) instead of failing at once on its lock.

# ci_apt_get ARGS... runs apt-get ARGS quietly, noninteractive. While
# another process holds the dpkg lock (DPkg::Lock::Timeout: install) or
# the package lists lock (which that option does not cover: update), it
# waits, up to CI_APT_WAIT seconds (default 600). Other failures print
# apt's output and return its status.
ci_apt_get() {
  local deadline=$(($(date +%s) + ${CI_APT_WAIT:-600})) out rc said=
  while :; do
    rc=0
    out=$(DEBIAN_FRONTEND=noninteractive apt-get -qq -o DPkg::Lock::Timeout="${CI_APT_WAIT:-600}" "$@" 2>&1) || rc=$?
    [ "$rc" != 0 ] || return 0
    if grep -qE 'Could not get lock|Unable to lock|Unable to acquire the dpkg' <<<"$out" && [ "$(date +%s)" -lt "$deadline" ]; then
      [ -n "$said" ] || echo "apt: another apt or dpkg holds its lock; waiting (up to ${CI_APT_WAIT:-600} s)" >&2
      said=1
      sleep 3
      continue
    fi
    printf '%s\n' "$out" >&2
    return "$rc"
  done
}
