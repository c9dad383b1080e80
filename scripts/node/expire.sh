#!/usr/bin/env bash
# Every minute, from a systemd timer: read this instance's ExpiresAt tag from the instance metadata
# (IMDSv2), show it at login, warn logged-in users in the last 15 minutes, and power the node off once
# it has passed. The instance was created with shutdown behaviour "terminate": EC2 then terminates
# it, so a lab nobody destroys stops billing by itself. Moving the tag (scripts/operator/lab.sh extend)
# moves the expiry; a tag of "never" keeps the node.
set -euo pipefail
: "${IMDS:=http://169.254.169.254}"
: "${MOTD_FILE:=/run/motd.d/cluster-lab}"
: "${WARN_BEFORE:=900}" # seconds before the expiry that logged-in users are warned
: "${NOW:=$(date -u +%s)}"

imds() { curl -fsS -m 5 -H "X-aws-ec2-metadata-token: $token" "$IMDS/latest/meta-data/$1"; }
token=$(curl -fsS -m 5 -X PUT -H "X-aws-ec2-metadata-token-ttl-seconds: 300" "$IMDS/latest/api/token") || exit 0
expires=$(imds tags/instance/ExpiresAt) || exit 0 # no tag (tags not in the metadata): nothing to do
lab=$(imds tags/instance/Lab 2>/dev/null || echo "this lab")

mkdir -p "$(dirname "$MOTD_FILE")"
if [ "$expires" = never ]; then
  printf 'cluster-lab %s: this lab does not expire: destroy it when you are done (scripts/operator/lab.sh destroy).\n' "$lab" >"$MOTD_FILE"
  exit 0
fi
if ! at=$(date -u -d "$expires" +%s 2>/dev/null); then
  echo "ExpiresAt tag '$expires' is not a time" >&2
  exit 0
fi
left=$((at - NOW))
if [ "$left" -le 0 ]; then
  printf 'cluster-lab %s expired at %s: this node is powering off.\n' "$lab" "$expires" | tee "$MOTD_FILE" | wall
  systemctl poweroff
  exit 0
fi
hours=$((left / 3600)) minutes=$((left % 3600 / 60))
message=$(printf 'cluster-lab %s expires at %s (in %dh %02dmin): every node then powers off and is deleted. Extend it with: scripts/operator/lab.sh extend <hours>' \
  "$lab" "$expires" "$hours" "$minutes")
printf '%s\n' "$message" >"$MOTD_FILE"
if [ "$left" -le "$WARN_BEFORE" ]; then
  printf '%s\n' "$message" | wall
fi
