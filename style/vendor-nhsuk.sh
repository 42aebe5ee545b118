#!/usr/bin/env bash
# Refreshes the vendored NHS.UK frontend stylesheet (MIT) from the npm registry.
# The design system's CSS loads its Frutiger web font from a third-party host;
# PrimaryPoint loads nothing from other hosts (privacy promise P7), so the
# @font-face rules are removed and the system font stack is used instead.
set -euo pipefail
version="${1:-10.6.1}"
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "nhsuk-frontend@$version" >/dev/null && tar xzf "nhsuk-frontend-$version.tgz")
dist="$work/package/dist/nhsuk"
out="$root/public/css/nhsuk-frontend.min.css"
mkdir -p "$root/public/css" "$root/public/assets/images"
python3 - "$dist/nhsuk-frontend.min.css" "$out" "$version" <<'PY'
import re, sys
src, out, version = sys.argv[1:]
css = open(src, encoding="utf-8").read()
css = re.sub(r"@font-face\{[^}]*\}", "", css)
system = 'system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif'
css = css.replace("font-family:Frutiger W01,arial,sans-serif", "font-family:" + system)
css = css.replace("font-family:Frutiger W01", "font-family:" + system)
assert "assets.nhs.uk" not in css and "http" not in css.split("*/")[-1], "third-party URL left in CSS"
open(out, "w", encoding="utf-8").write(
    f"/* nhsuk-frontend {version} (MIT, NHS England); web font removed, see style/vendor-nhsuk.sh */\n" + css)
PY
for icon in $(grep -o 'url(/assets/images/[^)]*)' "$out" | sort -u | sed 's#url(/assets/images/##; s#)##'); do
  cp "$dist/assets/images/$icon" "$root/public/assets/images/$icon" 2>/dev/null \
    || cp "$(find "$work/package" -name "$icon" | head -n1)" "$root/public/assets/images/$icon"
done
echo "vendored nhsuk-frontend $version into public/css and public/assets/images"
