# shellcheck shell=bash
# shellcheck disable=SC2034 # check_last: read by the scripts that source this file
# The pass/fail bookkeeping the test scripts share. Sourced, from the repo root, with the name the
# script's lines start with:
#
#   source scripts/lib/check.sh container
#
# Every outcome is one line, "NAME: ok   WHAT" or "NAME: FAIL WHAT", counted in the globals
# $passed and $failed (a script may add to them itself, and read them in its traps). The script
# closes with `check_finish`: "NAME: P passed, F failed", and exit status 0, or 1 after a failure.
# scripts/test.sh adds up those last lines (its awk on "<name>: N passed, M failed"): keep their form.

check_name=${1:?usage: source scripts/lib/check.sh NAME}
passed=0
failed=0
check_last=ok # the last outcome, ok or fail (for a check the rest of a script depends on)

check_pass() { # check_pass WHAT: one passed check
  passed=$((passed + 1)); check_last=ok; echo "$check_name: ok   $1"
}

check_fail() { # check_fail WHAT: one failed check (the caller prints any detail after it)
  failed=$((failed + 1)); check_last=fail; echo "$check_name: FAIL $1"
}

check() { # check WHAT COMMAND...: passes if COMMAND succeeds; never stops the script
  if "${@:2}"; then check_pass "$1"; else check_fail "$1"; fi
}

check_exit() { # check_exit WHAT EXPECTED_EXIT COMMAND...: passes if COMMAND exits EXPECTED_EXIT;
  # on a failure, the exit status and the last 20 lines of its output
  local name=$1 expected=$2; shift 2
  local out code
  out=$("$@" 2>&1) && code=0 || code=$? # (also under set -e)
  if [ "$code" -eq "$expected" ]; then check_pass "$name"
  else check_fail "$name (exit $code, expected $expected)"; echo "$out" | tail -n 20; fi
}

check_finish() { # the closing line, "NAME: P passed, F failed"; status 0 if nothing failed, else 1
  # (a script's last command, so its exit status; to end early: `check_finish; exit`)
  echo "$check_name: $passed passed, $failed failed"
  [ "$failed" -eq 0 ]
}
