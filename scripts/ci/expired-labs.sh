#!/usr/bin/env bash
# Decides which lab stacks the sweeper destroys. Runs on the CI runner (or an operator's machine)
# inside the project directory, logged in to the lab state backend.
#
#   scripts/expired-labs.sh            # stdout: the expired stack names, one per line
#
# Every stack of this project (`pulumi stack ls --json`) is classified from its outputs
# (`pulumi stack output --stack NAME --json`, secrets stay hidden):
#   expired     expiresAt <= NOW                        -> printed on stdout (destroy it)
#   live        expiresAt >  NOW                        -> nothing
#   unlabelled  no expiresAt (lab:ttlHours 0, or never deployed)  -> reported, kept
# A lab whose last update failed has no outputs; its expiry is then read from the ExpiresAt tag
# that every one of its resources carries in the state (`pulumi stack export`, secrets stay hidden).
#   malformed   expiresAt is not an RFC 3339 timestamp  -> reported, kept
#   busy        an update is in progress right now      -> reported, kept (next sweep)
#   error       its outputs could not be read           -> reported, kept
# Reports go to stderr, one line per stack that is kept for a reason a human should see.
#
# Environment:
#   NOW     the current time, RFC 3339 (default: the clock); the tests fix it
#   PULUMI  the pulumi command (default: pulumi); the tests point it at a fake that serves
#           recorded JSON
#   REPORT  optional file that receives one TSV line per stack: name, status, expiresAt, note
# Exit: 0 when every stack was classified (whatever its status); 1 when the stack list cannot be
# read; 2 on a bad NOW.
set -euo pipefail

PULUMI=${PULUMI:-pulumi}
NOW=${NOW:-$(date -u +%Y-%m-%dT%H:%M:%SZ)}
REPORT=${REPORT:-}

# RFC 3339 -> seconds since the epoch (fraction kept), or null when the text is not RFC 3339.
# jq's own fromdateiso8601 takes neither fractions nor offsets, and GNU date accepts "tomorrow".
read -r -d '' JQ_EPOCH <<'JQ' || true
def epoch:
  if type != "string" then null
  else
    (capture("^(?<d>[0-9]{4}-[0-9]{2}-[0-9]{2})[Tt](?<t>[0-9]{2}:[0-9]{2}:[0-9]{2})(?<f>\\.[0-9]+)?(?<z>[Zz]|(?<sign>[+-])(?<oh>[0-9]{2}):(?<om>[0-9]{2}))$") // null)
    | if . == null then null
      else
        . as $m
        | (try ($m.d + "T" + $m.t + "Z" | strptime("%Y-%m-%dT%H:%M:%SZ")) catch null) as $tm
        | if $tm == null then null
          # strptime takes 2026-02-30; a real date survives the round trip unchanged
          elif ($tm | mktime | todate) != ($m.d + "T" + $m.t + "Z") then null
          else ($tm | mktime)
               + (if $m.f then ("0" + $m.f | tonumber) else 0 end)
               - (if $m.sign == null then 0
                  else (if $m.sign == "+" then 1 else -1 end)
                       * (($m.oh | tonumber) * 3600 + ($m.om | tonumber) * 60)
                  end)
          end
      end
  end;
JQ

now_epoch=$(jq -n --arg now "$NOW" "$JQ_EPOCH"' $now | epoch')
if [ "$now_epoch" = null ]; then
  echo "expired-labs: NOW=$NOW is not an RFC 3339 timestamp (e.g. 2026-01-31T18:00:00Z)" >&2
  exit 2
fi

if ! stacks=$("$PULUMI" stack ls --json); then
  echo "expired-labs: 'pulumi stack ls --json' failed: is the backend logged in (PULUMI_BACKEND_URL)?" >&2
  exit 1
fi
# An empty backend prints [] (older CLIs: nothing or null).
if ! listing=$(jq -r 'if . == null then empty
                      elif type == "array" then .[] | [.name, (.updateInProgress == true | tostring)] | @tsv
                      else error("not an array") end' <<<"${stacks:-null}" 2>/dev/null); then
  echo "expired-labs: 'pulumi stack ls --json' did not print a JSON array of stacks" >&2
  exit 1
fi

[ -z "$REPORT" ] || : >"$REPORT"
report() { # name status expiresAt note
  [ -z "$REPORT" ] || printf '%s\t%s\t%s\t%s\n' "$@" >>"$REPORT"
  case $2 in
    expired | live) ;;
    *) echo "expired-labs: $2: $1${4:+ ($4)}" >&2 ;;
  esac
}

while IFS=$'\t' read -r name busy; do
  [ -n "$name" ] || continue
  if ! outputs=$("$PULUMI" stack output --stack "$name" --json); then
    report "$name" error - "could not read its outputs; not destroyed"
    continue
  fi
  source="past its expiry"
  if jq -e 'type == "object" and (has("expiresAt") | not)' <<<"$outputs" >/dev/null 2>&1; then
    tag=$("$PULUMI" stack export --stack "$name" 2>/dev/null | jq -r '
        [.deployment.resources[]? | (.outputs.tags.ExpiresAt // .inputs.tags.ExpiresAt // empty) | strings]
        | first // empty' 2>/dev/null) || tag=""
    if [ -n "$tag" ] && [ "$tag" != never ]; then
      outputs=$(jq -n --arg at "$tag" '{expiresAt: $at}')
      source="past the ExpiresAt tag in its state (no outputs: its last update failed)"
    fi
  fi
  if ! verdict=$(jq -r --argjson now "$now_epoch" --arg source "$source" "$JQ_EPOCH"'
      if type != "object" then ["error", "-", "outputs are not a JSON object; not destroyed"]
      elif has("expiresAt") | not then ["unlabelled", "-", "no expiresAt output; not destroyed"]
      else (.expiresAt | epoch) as $at
        | (.expiresAt | if type == "string" and . != "" then . else tojson end) as $text
        | if $at == null then ["malformed", $text, "expiresAt is not an RFC 3339 timestamp; not destroyed"]
          elif $at <= $now then ["expired", $text, $source]
          else ["live", $text, "expires later"]
          end
      end | @tsv' <<<"$outputs" 2>/dev/null); then
    report "$name" error - "its outputs are not JSON; not destroyed"
    continue
  fi
  IFS=$'\t' read -r status at note <<<"$verdict"
  if [ "$status" = expired ] && [ "$busy" = true ]; then
    report "$name" busy "$at" "expired, but an update is in progress; the next sweep retries"
    continue
  fi
  report "$name" "$status" "$at" "$note"
  if [ "$status" = expired ]; then
    printf '%s\n' "$name"
  fi
done <<<"$listing"
