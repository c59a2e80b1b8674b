#!/usr/bin/env bash
# CI: the committed generated files (docs/runbook.md, docs/lint.md,
# schema/runbook.schema.json) must be what the build writes. The build
# (`npm ci` runs it through prepare) regenerates them, so run this after it:
# a committed stale file shows as a diff against HEAD.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  echo 'not a git checkout: committed docs not checked' >&2
  exit 0
fi
node scripts/gen-docs.js --check
if ! git diff --exit-code --stat HEAD -- docs/runbook.md docs/lint.md schema; then
  echo 'docs/ or schema/ in the commit is out of date: run `npm run build` (or `npm run docs`) and commit the result' >&2
  exit 1
fi
