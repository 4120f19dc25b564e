#!/usr/bin/env bash
# Runs the compiled tests with node:test. Node 20's --test does not expand globs, so list files here.
# Usage: test/run-tests.sh unit|integration|all [extra node --test args]
set -euo pipefail
cd "$(dirname "$0")/.."
kind="${1:-all}"; shift || true
case "$kind" in
  unit) files=$(find dist/test -name '*.test.js' ! -name '*.integration.test.js' | sort) ;;
  integration) files=$(find dist/test -name '*.integration.test.js' | sort) ;;
  all) files=$(find dist/test -name '*.test.js' | sort) ;;
  *) echo "usage: $0 unit|integration|all" >&2; exit 2 ;;
esac
if [ -z "$files" ]; then echo "no $kind test files under dist/test: run npm run build first" >&2; exit 1; fi
# Integration tests start their own daemons; one file at a time keeps the 2-core machine responsive.
# shellcheck disable=SC2086
exec node --enable-source-maps --test --test-concurrency=1 --test-reporter=spec "$@" $files
