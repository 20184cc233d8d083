#!/bin/bash
# Times mlv's scale steps by hand beside their physical floors, on files made by
# `bench/scale.py --keep-source DIR/source`:
#   catfloor  read every file and write the bytes to one synced file (what add must at least do)
#   cpfloor   copy the cache's packs and sync them (what a push to a directory must at least do)
#   treefloor copy the work tree and sync it (the files a clone + pull must at least create)
# Steps run one after another in DIR/repo with whatever the page cache holds; status10 is run
# twice (the second with the work tree's inodes cached again). As root, push runs a second time
# from a cold page cache (`drop_caches`), beside `cat` of the packs from a cold cache.
# With COLD=1 (as root), every timed step starts from an empty page cache: dirty pages are
# written and all caches dropped first, untimed, so 100,000 and 1,000,000 files are compared
# with nothing of either held in memory.
# Usage: [COLD=1] bench/floors.sh DIR [MLV]   (MLV defaults to .build/release/mlv of this checkout)
set -e
D=$(cd "$1" && pwd); M=${2:-$(cd "$(dirname "$0")/.." && pwd)/.build/release/mlv}
BENCH=$(cd "$(dirname "$0")" && pwd)
drop() { sync; echo 3 > /proc/sys/vm/drop_caches; }
T() {
  local name=$1; shift
  if [ "${COLD:-0}" = 1 ]; then drop; name="$name-cold"; fi
  /usr/bin/time -f "$name %e s %M KB" "$@"
}
change() { python3 -c "import sys; sys.path.insert(0, '$BENCH'); from scale import change; change('$D/repo/data', $1, $2, b'$3')"; }
cd "$D"; rm -rf repo remote clone; mkdir repo remote
cd repo; git init -q -b main .; $M init -q; $M remote add store "$D/remote" --default -q; git add -A; git commit -qm setup
cp -r "$D/source" data; sync
T catfloor bash -c 'find data -type f -print0 | xargs -0 cat > ../blob; sync ../blob'; rm ../blob
T add $M add -q data; git add -A; git commit -qm v; sleep 1; $M status >/dev/null
T status $M status >/dev/null
sync; T push $M push -q
T cpfloor bash -c "cp -r .mlv/cache/packs ../packcopy && sync ../packcopy/*"; rm -rf ../packcopy
if [ "${COLD:-0}" != 1 ] && [ -w /proc/sys/vm/drop_caches ]; then
  # The same push with nothing cached (as after a reboot), beside reading the packs through.
  rm -rf "$D/remote"; mkdir "$D/remote"; drop
  T push-cold $M push -q
  drop
  T readfloor-cold bash -c 'cat .mlv/cache/packs/*.pack > /dev/null'
fi
change 10 3 ten
sync; T status10 $M status >/dev/null
T status10-again $M status >/dev/null
T add10 $M add -q data; git add -A; git commit -qm v2
T push10 $M push -q
change 100 4 hundred
$M add -q data; git add -A; git commit -qm v3; $M push -q; sync
T checkout100 bash -c "git checkout -q HEAD~1 && $M checkout -q"
git checkout -q main
cd ..; git clone -q repo clone; sync
T clonepull bash -c "cd clone && $M pull -q"
T treefloor bash -c "cp -r repo/data treecopy && sync treecopy"; rm -rf treecopy
