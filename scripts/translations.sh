#!/usr/bin/env bash
# Translation catalogs of the after-sales portal.
#
#   scripts/translations.sh extract   # collect strings into portal/translations/messages.pot
#   scripts/translations.sh update    # merge the .pot into the zh_Hans_CN and en catalogs (init if missing);
#                                     # the English catalog is source = translation, its gaps are filled in
#   scripts/translations.sh compile   # build the .mo files (catalogs must have no fuzzy entries)
#   scripts/translations.sh check     # fail if a catalog has untranslated or fuzzy messages
#   scripts/translations.sh all       # extract + update + compile
#
# Chinese lives in zh_Hans_CN/: Babel maps the zh_CN locale to that folder name,
# a zh_CN/ folder would be silently ignored.
set -euo pipefail

cd "$(dirname "$0")/.."

PYBABEL="${PYBABEL:-.venv/bin/pybabel}"
PYTHON="${PYTHON:-.venv/bin/python}"
DIR=portal/translations
POT="$DIR/messages.pot"
LOCALES=(zh_Hans_CN en)

extract() {
    # The input directory must be "." : babel.cfg patterns are relative to it
    # (.venv and other dot-directories are skipped by pybabel's default --ignore-dirs).
    "$PYBABEL" extract -F babel.cfg -k _l -k lazy_gettext \
        --sort-by-file --no-wrap \
        --project=aftersales-portal --version=0.1.0 \
        --copyright-holder="After-sales portal" \
        -o "$POT" .
}

fill_english() {
    # English is the source language: every msgstr equals its msgid.
    "$PYTHON" - "$DIR/en/LC_MESSAGES/messages.po" <<'PY'
import sys
from babel.messages.pofile import read_po, write_po

path = sys.argv[1]
with open(path, "rb") as f:
    catalog = read_po(f, locale="en")
for message in catalog:
    if not message.id:
        continue
    if isinstance(message.id, (list, tuple)):  # plural: singular, plural
        message.string = (message.id[0], message.id[1])
    else:
        message.string = message.id
    message.flags.discard("fuzzy")
with open(path, "wb") as f:
    write_po(f, catalog, width=0, ignore_obsolete=True, include_previous=False)
PY
}

update() {
    [ -f "$POT" ] || extract
    local locale
    for locale in "${LOCALES[@]}"; do
        if [ -f "$DIR/$locale/LC_MESSAGES/messages.po" ]; then
            "$PYBABEL" update -i "$POT" -d "$DIR" -l "$locale" --no-wrap --ignore-obsolete --previous
        else
            "$PYBABEL" init -i "$POT" -d "$DIR" -l "$locale" --no-wrap
        fi
    done
    fill_english
}

check() {
    "$PYTHON" - "${LOCALES[@]/#/$DIR/}" <<'PY'
import sys
from babel.messages.pofile import read_po

bad = 0
for folder in sys.argv[1:]:
    path = f"{folder}/LC_MESSAGES/messages.po"
    with open(path, "rb") as f:
        catalog = read_po(f)
    messages = [m for m in catalog if m.id]
    untranslated = [m.id for m in messages if not m.string or (isinstance(m.string, tuple) and not all(m.string))]
    fuzzy = [m.id for m in messages if m.fuzzy]
    print(f"{path}: {len(messages)} messages, {len(untranslated)} untranslated, {len(fuzzy)} fuzzy")
    for msgid in untranslated:
        print(f"  untranslated: {msgid!r}")
    for msgid in fuzzy:
        print(f"  fuzzy: {msgid!r}")
    bad += len(untranslated) + len(fuzzy)
sys.exit(1 if bad else 0)
PY
}

compile() {
    "$PYBABEL" compile -d "$DIR" --statistics
}

case "${1:-}" in
    extract) extract ;;
    update)  update ;;
    compile) compile ;;
    check)   check ;;
    all)     extract; update; compile ;;
    *) echo "usage: $0 extract|update|compile|check|all" >&2; exit 2 ;;
esac
