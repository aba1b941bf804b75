#!/usr/bin/env bash
# Prints the home of a JDK 25 or newer: $JAVA_HOME if it is one, else the first under /usr/lib/jvm.
# Exits 1 with a message if none is found.
set -euo pipefail

feature() { # the feature version of the JDK at $1, or 0
  "$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p' | head -1 | cut -d. -f1
}

for home in "${JAVA_HOME:-}" /usr/lib/jvm/*; do
  [ -n "$home" ] && [ -x "$home/bin/javac" ] || continue
  v=$(feature "$home" || echo 0)
  if [ "${v:-0}" -ge 25 ] 2>/dev/null; then
    echo "$home"
    exit 0
  fi
done
echo "no JDK 25 found: set JAVA_HOME to one (on Debian: apt-get install temurin-25-jdk from Adoptium's repository)" >&2
exit 1
