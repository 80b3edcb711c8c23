#!/usr/bin/env bash
# Print the Python that `make demo` and `make test` build their environment with: one that has a bpy wheel
# on PyPI (CPython 3.11: bpy 5.0.1; 3.13: bpy 5.1). Tried in order: python3.11, python3.13, python3. Each
# candidate is run, not only looked up: a pyenv shim exists for versions that are not active and fails.
# None found: one line on stderr naming what to install, exit 2, before anything is installed.
set -uo pipefail
supported="3.11 3.13"
seen=""
for name in python3.11 python3.13 python3; do
    path=$(command -v "$name" 2>/dev/null) || continue
    version=$("$path" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null) || continue
    case " $supported " in
        *" $version "*) echo "$path"; exit 0 ;;
    esac
    seen="$seen $version"
done
have=${seen:+ (found Python${seen})}
echo "error: no Python with a bpy wheel on PATH${have}: bpy exists for CPython 3.11 and 3.13 only; install one" \
     "(Debian/Ubuntu: apt-get install python3.13, or pyenv install 3.11, or uv python install 3.13) and run" \
     "make again, or choose this Python and a Blender application: make demo PYTHON=python3 BLENDER=/path/to/blender" >&2
exit 2
