#!/usr/bin/env bash
# mypy --strict over the installed import names (relevo.bot, relevo.channels, …).
# The repository folders are not laid out as `relevo/<package>`, so a throwaway tree of
# links (.typecheck/relevo/<package> -> ../../<package>) gives mypy that layout.
set -euo pipefail
cd "$(dirname "$0")/.."
PACKAGES=(app bot channels handoff nlu knowledge_base)
rm -rf .typecheck && mkdir -p .typecheck/relevo
args=()
for package in "${PACKAGES[@]}"; do
  ln -s "../../$package" ".typecheck/relevo/$package"
  args+=(-p "relevo.$package")
done
MYPYPATH=.typecheck exec "${MYPY:-.venv/bin/mypy}" "${args[@]}" "$@"
