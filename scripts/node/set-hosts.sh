#!/usr/bin/env bash
# Writes the lab's managed block into /etc/hosts (replaced between markers, never appended twice)
# and sets the hostname to the node name.
set -euo pipefail
: "${LAB_HOSTNAME:?name of this node}"
: "${HOSTS_ENTRIES:?lines of \"<private ip> <name>\" for every node}"
: "${HOSTS_FILE:=/etc/hosts}"

begin="# BEGIN cluster-lab nodes (managed by Pulumi: edits inside this block are replaced)"
end="# END cluster-lab nodes"

new=$(mktemp)
trap 'rm -f "$new"' EXIT
awk -v begin="# BEGIN cluster-lab" -v end="$end" '
  index($0, begin) == 1 { skipping = 1; next }
  skipping && $0 == end { skipping = 0; next }
  !skipping { print }
' "$HOSTS_FILE" >"$new"
{
  echo "$begin"
  printf '%s\n' "$HOSTS_ENTRIES"
  echo "$end"
} >>"$new"

if cmp -s "$new" "$HOSTS_FILE"; then
  echo "hosts block unchanged"
else
  cat "$new" >"$HOSTS_FILE" # rewrite in place: /etc/hosts may be a bind mount
  echo "hosts block written"
fi

if [ "$(hostname)" != "$LAB_HOSTNAME" ]; then
  hostnamectl set-hostname "$LAB_HOSTNAME"
  echo "hostname set to $LAB_HOSTNAME"
fi
