#!/bin/bash
# make.sh: regenerate the image stores of testdata/stores: small REAL stores, written by
# the real daemons, plus the matching `docker save` / `podman save` archives. The daemons
# work in $LAYERLENS_STORES_WORK (default /tmp/layerlens-stores); the `testdata` stage
# copies what the tests read into this directory. Nothing is pulled from a registry:
# images come from local tarballs (`docker load`) and `FROM scratch` / FROM a loaded
# image builds.
#
# Usage:   ./make.sh [stage...]        (no stage = all, in this order)
# Stages:  docker20    Debian bookworm docker.io 20.10, overlay2 data root
#          docker26    Debian trixie docker.io 26.1 + docker-cli 26.1 + containerd 1.7
#                      (containerd image store, "containerd-snapshotter": true), .debs
#                      fetched with a private apt config and unpacked into $D26BIN
#          cs-overlay  podman 4.3 / buildah 1.28 / skopeo 1.9, containers-storage overlay
#          cs-vfs      the same, containers-storage vfs driver (smaller image set)
#          gitsafe     copy what a reader needs into gitsafe/ (what could be committed)
#          sizes       du of everything into records/sizes.txt
#          report      records/SUMMARY.md (images, tags, dangling/intermediate, parents,
#                      layer counts, Size, ChainID → diff_id, system df -v) per store, and
#                      records/<store>/saves.json: sha256 and size of every layer member
#                      of every save archive (so tests can compare without the archives)
#          deps        (first in "all") apt-get install what is missing
#          testdata    (last in "all") copy gitsafe/, the save archives without the per-image
#                      ones (all.tar, dangling-*, intermediate-*) and records/<store>/summary.json
#                      into testdata/stores/ of this checkout
#
# Output:
#   docker20/                  dockerd 20.10 --data-root (overlay2)
#   docker26/data-root/        dockerd 26.1 --data-root
#   docker26/containerd-root/  containerd root (content store + meta.db + snapshots)
#   cs-overlay/root/           containers-storage graph root, overlay driver
#   cs-vfs/root/               containers-storage graph root, vfs driver
#   saves/<store>/*.tar        docker save / podman save / skopeo oci-archive outputs
#   records/<store>/           what the tools say: inspect, images -a, system df -v, and
#                              summary.json (ids, tags, dangling/intermediate, diff_ids,
#                              ChainIDs) computed by record.py
#   gitsafe/<store>/           metadata + tar-split + regular files (see README.md)
#   logs/                      daemon and build logs
#
# Idempotent: each stage unmounts and deletes its own outputs first, starts its own
# daemons on private sockets (/run/ll-*), and stops them (SIGTERM, waited for) on exit,
# also on failure.  The system's daemons, sockets and apt sources are never touched
# (trixie packages are fetched with a private apt configuration under .apt-trixie/).
#
# Requirements (Debian bookworm, root): apt-get install docker.io podman buildah skopeo
# python3; $HERE/docker26-bin is filled by this script from trixie .debs.
set -euo pipefail

REPO=$(cd "$(dirname "$0")/../.." && pwd)
OUT=$REPO/testdata/stores
HERE=${LAYERLENS_STORES_WORK:-/tmp/layerlens-stores}
FIX=$REPO/testdata/fixtures
PUB=$REPO/../shared/testdata/public
D26BIN=$HERE/docker26-bin
CLI20=/usr/bin/docker                 # docker.io 20.10 client (API 1.41)
CLI26=$D26BIN/usr/bin/docker         # trixie's docker-cli 26.1
EPOCH=1700000000                      # fixed mtime for build contexts
mkdir -p "$HERE"
cp "$OUT/record.py" "$HERE/record.py"
cd "$HERE"
mkdir -p logs records saves

log() { printf '\n=== %s\n' "$*" >&2; }

# ---------------------------------------------------------------- helpers
umount_under() { # unmount everything mounted under $1 (deepest first)
    local p
    for p in $(awk -v d="$1" 'index($2, d) == 1 { print $2 }' /proc/mounts | sort -r); do
        umount "$p" 2>/dev/null || umount -l "$p"
    done
}

PIDS=()
stop_daemons() { # SIGTERM what we started, newest first, and wait for each
    local i pid
    for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
        pid=${PIDS[$i]}
        if kill -0 "$pid" 2>/dev/null; then
            kill -TERM "$pid"
            for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
            kill -0 "$pid" 2>/dev/null && { echo "pid $pid did not stop, SIGKILL" >&2; kill -KILL "$pid"; }
        fi
    done
    PIDS=()
}
trap stop_daemons EXIT

wait_sock() { # wait for a daemon socket to answer
    local cli=$1
    for _ in $(seq 1 60); do $cli version >/dev/null 2>&1 && return 0; sleep 0.5; done
    echo "daemon did not come up: $cli" >&2; return 1
}

# Deterministic build contexts (fixed content and mtimes).
make_contexts() {
    local c=$HERE/build
    rm -rf "$c"; mkdir -p "$c"
    # FROM scratch root: long names (PAX), non-ASCII and space in a name, an empty file,
    # a symlink, and a 300 kB incompressible file (several read chunks).
    mkdir -p "$c/rootfs/etc" "$c/rootfs/bin"
    printf 'NAME=ll\nID=ll\n' > "$c/rootfs/etc/os-release"
    echo hello > "$c/rootfs/hello.txt"
    : > "$c/rootfs/empty"
    ln -s hello.txt "$c/rootfs/hello-link"
    local long="$c/rootfs/usr/share/doc/ll/a-rather-long-directory-name-to-force-a-pax-header/and-another-long-directory-name-0123456789"
    mkdir -p "$long"
    echo deep > "$long/file-with-a-long-name-that-passes-the-100-byte-ustar-limit.txt"
    echo unicode > "$c/rootfs/ünïcødé name.txt"
    python3 -c 'import random,sys; sys.stdout.buffer.write(random.Random(42).randbytes(300000))' > "$c/rootfs/bin/big.bin"
    # app on dive-test (busybox)
    mkdir -p "$c/app/bin" "$c/app/data" "$c/app/deep/sub"
    printf '#!/bin/sh\necho hello from app\n' > "$c/app/bin/hello.sh"; chmod 755 "$c/app/bin/hello.sh"
    echo old > "$c/app/data/old.txt"
    echo keep > "$c/app/data/keep.txt"
    echo a > "$c/app/deep/a.txt"
    echo b > "$c/app/deep/sub/b.txt"
    ln -s bin/hello.sh "$c/app/link"
    mkdir -p "$c/extra"; echo extra > "$c/extra/readme.txt"
    mkdir -p "$c/tool"; printf '#!/bin/sh\ncat /opt/tool/version\n' > "$c/tool/tool.sh"; chmod 755 "$c/tool/tool.sh"
    echo 1 > "$c/tool/version"
    find "$c" -exec touch -h -d "@$EPOCH" {} +

    cat > "$c/Dockerfile.scratch" <<'EOF'
FROM scratch
COPY rootfs/ /
LABEL org.example.image="ll/scratch"
EOF
    # RUN: a whiteout (old.txt, /bin/vi), an opaque directory (/app/deep removed and
    # recreated), a hardlink, a copied-up modified file.
    cat > "$c/Dockerfile.app" <<'EOF'
FROM dive-test:latest
LABEL org.example.image="ll/app"
COPY app/ /app/
ENV APP_HOME=/app
RUN rm /app/data/old.txt && rm -rf /app/deep && mkdir -p /app/deep && echo replaced > /app/deep/new.txt && ln /app/bin/hello.sh /app/bin/hello-hard && echo appended >> /app/data/keep.txt && rm -f /bin/vi
CMD ["/app/bin/hello.sh"]
EOF
    grep -v '^RUN' "$c/Dockerfile.app" > "$c/Dockerfile.app-norun"
    cat > "$c/Dockerfile.app2" <<'EOF'
FROM ll/app:1
COPY extra/ /app/extra/
EOF
    cat > "$c/Dockerfile.tool" <<'EOF'
FROM acme/svc-a:1
COPY tool/ /opt/tool/
LABEL org.example.image="ll/tool"
EOF
}

set_tool_version() { echo "$1" > "$HERE/build/tool/version"; touch -d "@$EPOCH" "$HERE/build/tool/version"; }

# build_all BUILD_CMD: the same images with any engine.  BUILD_CMD FILE TAG runs one build.
# ll/tool:1 is built twice with different content: the first build becomes dangling.
# With the classic builder every step leaves an intermediate (parent) image.
build_all() {
    local b=$1 full=$2 # full=1: also the images on dive-test (big for vfs)
    $b Dockerfile.scratch ll/scratch:1
    if [ "$full" = 1 ]; then
        if ! $b Dockerfile.app ll/app:1 > "$HERE/logs/build-app-$STAGE.log" 2>&1; then
            echo "RUN failed in $STAGE (see logs/build-app-$STAGE.log); building without RUN" >&2
            echo "$STAGE: RUN failed, ll/app:1 built without RUN" >> "$HERE/records/notes.txt"
            $b Dockerfile.app-norun ll/app:1
        fi
        $b Dockerfile.app2 ll/app:2
    fi
    set_tool_version 1; $b Dockerfile.tool ll/tool:1
    set_tool_version 2; $b Dockerfile.tool ll/tool:1
    set_tool_version 1
}

# ---------------------------------------------------------------- packages
stage_deps() { # bookworm packages, installed only if missing
    local need=()
    command -v dockerd >/dev/null && [ -x "$CLI20" ] || need+=(docker.io)
    command -v podman >/dev/null || need+=(podman)
    command -v buildah >/dev/null || need+=(buildah)
    command -v skopeo >/dev/null || need+=(skopeo)
    command -v git >/dev/null || need+=(git)
    if [ ${#need[@]} -gt 0 ]; then
        log "deps: apt-get install ${need[*]}"
        apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y "${need[@]}"
    fi
}

# ---------------------------------------------------------------- docker 20.10
stage_docker20() {
    STAGE=docker20
    log "docker20: dockerd 20.10 overlay2 at $HERE/docker20"
    local root=$HERE/docker20 sock=/run/ll-d20.sock
    umount_under "$root"; umount_under /run/ll-d20
    rm -rf "$root" saves/docker20 records/docker20 /run/ll-d20
    mkdir -p saves/docker20 records/docker20
    dockerd --data-root "$root" --exec-root /run/ll-d20 --pidfile /run/ll-d20.pid \
        -H "unix://$sock" --iptables=false --ip6tables=false --bridge=none \
        --storage-driver overlay2 > logs/dockerd20.log 2>&1 &
    PIDS+=($!)
    local D="$CLI20 -H unix://$sock"
    wait_sock "$D"
    $D info --format 'driver={{.Driver}} status={{json .DriverStatus}}' | tee records/docker20/driver.txt
    $D load -i "$PUB/dive/.data/test-docker-image.tar"
    $D load -i "$FIX/forensics.tar"
    make_contexts
    b20() { (cd "$HERE/build" && DOCKER_BUILDKIT=0 $D build --network none -f "$1" -t "$2" .); }
    build_all b20 1
    local dangling
    dangling=$($D images -q --no-trunc -f dangling=true)
    echo "dangling: $dangling"
    # saves: every tagged image alone, the dangling image by id, one intermediate by id,
    # and everything together
    local ref f
    for ref in $($D images --format '{{.Repository}}:{{.Tag}}' | grep -v '<none>'); do
        f=$(echo "$ref" | tr '/:' '__'); $D save -o "saves/docker20/$f.tar" "$ref"
    done
    for ref in $dangling; do $D save -o "saves/docker20/dangling-${ref#sha256:}.tar" "$ref"; done
    local inter
    inter=$($D images -a --no-trunc --format '{{.Repository}} {{.ID}}' | awk '$1 == "<none>" { print $2 }' |
        grep -vxF -e "${dangling:-none}" | sort -u | head -1 || true)
    [ -n "$inter" ] && $D save -o "saves/docker20/intermediate-${inter#sha256:}.tar" "$inter"
    $D save -o saves/docker20/all.tar $($D images --format '{{.Repository}}:{{.Tag}}' | grep -v '<none>') $dangling
    # records
    $D images -a --no-trunc --digests --format '{{json .}}' > records/docker20/images-a.jsonl
    $D image inspect $($D images -a -q --no-trunc | sort -u) > records/docker20/inspect.json
    $D system df -v --format '{{json .}}' > records/docker20/system-df-v.json
    $D system df -v > records/docker20/system-df-v.txt
    $D ps -a --format '{{.ID}}' > records/docker20/containers.txt
    python3 "$HERE/record.py" docker records/docker20/inspect.json > records/docker20/summary.json
    stop_daemons
    umount_under "$root"; umount_under /run/ll-d20
    rm -rf /run/ll-d20 /run/ll-d20.pid /run/ll-d20.sock
}

# ---------------------------------------------------------------- docker 26 + containerd
fetch_trixie() {
    [ -x "$D26BIN/usr/sbin/dockerd" ] && [ -x "$D26BIN/usr/bin/containerd" ] && [ -x "$CLI26" ] && return 0
    local A=$HERE/.apt-trixie
    mkdir -p "$A/lists/partial" "$A/cache/archives/partial" "$A/debs"
    cat > "$A/trixie.sources" <<'EOF'
Types: deb
URIs: http://deb.debian.org/debian
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
    local o=(-o "Dir::Etc::SourceList=$A/trixie.sources" -o Dir::Etc::SourceParts=/dev/null
             -o "Dir::State::Lists=$A/lists" -o "Dir::Cache=$A/cache" -o Dir::State::status=/dev/null)
    apt-get "${o[@]}" update
    (cd "$A/debs" && apt-get "${o[@]}" download docker.io docker-cli containerd)
    mkdir -p "$D26BIN"
    for f in "$A"/debs/*.deb; do dpkg-deb -x "$f" "$D26BIN"; done
}

stage_docker26() {
    STAGE=docker26
    log "docker26: dockerd 26.1 + containerd 1.7, containerd image store"
    fetch_trixie
    local top=$HERE/docker26 sock=/run/ll-d26.sock csock=/run/ll-ctd26/containerd.sock
    umount_under "$top"; umount_under /run/ll-d26; umount_under /run/ll-ctd26
    rm -rf "$top" saves/docker26 records/docker26 /run/ll-d26 /run/ll-ctd26
    mkdir -p "$top/containerd-root" "$top/data-root" saves/docker26 records/docker26
    cat > "$top/containerd.toml" <<EOF
version = 2
root = "$top/containerd-root"
state = "/run/ll-ctd26"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$csock"
[ttrpc]
  address = "$csock.ttrpc"
[plugins."io.containerd.internal.v1.opt"]
  path = "$top/containerd-root/opt"
EOF
    echo '{"features": {"containerd-snapshotter": true}}' > "$top/daemon.json"
    export PATH="$D26BIN/usr/bin:$D26BIN/usr/sbin:$PATH"
    containerd --config "$top/containerd.toml" > logs/containerd26.log 2>&1 &
    PIDS+=($!)
    for _ in $(seq 1 60); do [ -S "$csock" ] && break; sleep 0.5; done
    dockerd --config-file "$top/daemon.json" --containerd "$csock" --data-root "$top/data-root" \
        --exec-root /run/ll-d26 --pidfile /run/ll-d26.pid -H "unix://$sock" \
        --iptables=false --ip6tables=false --bridge=none > logs/dockerd26.log 2>&1 &
    PIDS+=($!)
    local D="$CLI26 -H unix://$sock"
    wait_sock "$D"
    $D info --format 'driver={{.Driver}} status={{json .DriverStatus}}' | tee records/docker26/driver.txt
    $D load -i "$PUB/dive/.data/test-docker-image.tar"
    $D load -i "$FIX/forensics.tar"
    make_contexts
    # no buildx plugin here, so DOCKER_BUILDKIT=0 is the classic builder
    b26() { (cd "$HERE/build" && DOCKER_BUILDKIT=0 $D build --network none -f "$1" -t "$2" .); }
    build_all b26 1
    # BuildKit through the 20.10 CLI (built-in BuildKit client, API 1.41): best effort
    if (cd "$HERE/build" && DOCKER_BUILDKIT=1 $CLI20 -H "unix://$sock" build --network none \
            -f Dockerfile.app2 -t ll/bk:1 .) > logs/build-bk-docker26.log 2>&1; then
        echo "docker26: ll/bk:1 built with BuildKit" >> records/notes.txt
    else
        echo "docker26: BuildKit build failed (logs/build-bk-docker26.log)" >> records/notes.txt
    fi
    local dangling ref f
    dangling=$($D images -q --no-trunc -f dangling=true | sort -u)
    for ref in $($D images --format '{{.Repository}}:{{.Tag}}' | grep -v '<none>'); do
        f=$(echo "$ref" | tr '/:' '__'); $D save -o "saves/docker26/$f.tar" "$ref"
    done
    for ref in $dangling; do $D save -o "saves/docker26/dangling-${ref#sha256:}.tar" "$ref"; done
    $D save -o saves/docker26/all.tar $($D images --format '{{.Repository}}:{{.Tag}}' | grep -v '<none>') $dangling
    $D images -a --no-trunc --digests --format '{{json .}}' > records/docker26/images-a.jsonl
    $D image inspect $($D images -a -q --no-trunc | sort -u) > records/docker26/inspect.json
    $D system df -v --format '{{json .}}' > records/docker26/system-df-v.json
    $D system df -v > records/docker26/system-df-v.txt
    # containerd's own view (names, content, leases)
    ctr -a "$csock" namespaces ls > records/docker26/ctr-namespaces.txt
    ctr -a "$csock" -n moby images ls > records/docker26/ctr-images.txt
    ctr -a "$csock" -n moby content ls > records/docker26/ctr-content.txt
    ctr -a "$csock" -n moby snapshots --snapshotter overlayfs ls > records/docker26/ctr-snapshots.txt || true
    ctr -a "$csock" -n moby leases ls > records/docker26/ctr-leases.txt || true
    python3 "$HERE/record.py" docker records/docker26/inspect.json > records/docker26/summary.json
    python3 "$HERE/record.py" containerd-content records/docker26/inspect.json \
        "$top/containerd-root/io.containerd.content.v1.content/blobs/sha256" > records/docker26/content.json
    stop_daemons
    umount_under "$top"; umount_under /run/ll-d26; umount_under /run/ll-ctd26
    rm -rf /run/ll-d26 /run/ll-d26.pid /run/ll-d26.sock /run/ll-ctd26
}

# ---------------------------------------------------------------- containers-storage
stage_cs() { # $1 = overlay | vfs
    local drv=$1; STAGE=cs-$drv
    log "$STAGE: podman/buildah/skopeo, containers-storage driver $drv"
    local top=$HERE/cs-$drv run=/run/ll-cs-$drv
    umount_under "$top"; umount_under "$run"
    rm -rf "$top" "saves/cs-$drv" "records/cs-$drv" "$run"
    mkdir -p "$top/root" "$run" "saves/cs-$drv" "records/cs-$drv" "$top/tmp"
    local S="--root $top/root --runroot $run --storage-driver $drv"
    local P="podman $S --cgroup-manager cgroupfs --events-backend file --tmpdir $top/tmp"
    export TMPDIR=$top/tmp
    # containers.conf/storage.conf of the host stay untouched; everything is on the cmdline
    $P info --format 'driver={{.Store.GraphDriverName}} status={{json .Store.GraphStatus}}' | tee "records/cs-$drv/driver.txt"
    if [ "$drv" = overlay ]; then
        $P load -i "$PUB/dive/.data/test-docker-image.tar"
    fi
    $P load -i "$FIX/forensics.tar"
    make_contexts
    bcs() { (cd "$HERE/build" && $P build --network none --layers --format docker -f "$1" -t "$2" .); }
    local full=0; [ "$drv" = overlay ] && full=1
    build_all bcs $full
    # buildah too: a commit from a working container (no RUN needed)
    local B="buildah $S"
    local ctr; ctr=$($B from --pull-never localhost/ll/scratch:1)
    $B copy "$ctr" "$HERE/build/extra/readme.txt" /extra-readme.txt
    $B config --label org.example.image=ll/buildah "$ctr"
    $B commit --format docker "$ctr" localhost/ll/buildah:1
    $B rm "$ctr"
    local ref f
    for ref in $($P images --format '{{.Repository}}:{{.Tag}}' | grep -v '<none>'); do
        f=$(echo "${ref#localhost/}" | tr '/:' '__')
        $P save --format docker-archive -o "saves/cs-$drv/$f.tar" "$ref"
        skopeo --tmpdir "$top/tmp" copy -q "containers-storage:[$drv@$top/root+$run]$ref" "oci-archive:saves/cs-$drv/$f.oci.tar"
    done
    for ref in $($P images -q --no-trunc -f dangling=true | sort -u); do
        $P save --format docker-archive -o "saves/cs-$drv/dangling-${ref#sha256:}.tar" "$ref"
    done
    $P save -m --format docker-archive -o "saves/cs-$drv/all.tar" $($P images --format '{{.Repository}}:{{.Tag}}' | grep -v '<none>')
    $P images -a --no-trunc --format json > "records/cs-$drv/images-a.json"
    $P image inspect $($P images -a -q --no-trunc | sort -u) > "records/cs-$drv/inspect.json"
    $P system df -v > "records/cs-$drv/system-df-v.txt"
    python3 "$HERE/record.py" podman "records/cs-$drv/inspect.json" "records/cs-$drv/images-a.json" > "records/cs-$drv/summary.json"
    # (no `podman system prune`: it would delete the dangling and intermediate images)
    umount_under "$top"; umount_under "$run"
    rm -rf "$top/tmp" "$run"
    unset TMPDIR
}

# ---------------------------------------------------------------- git-safe copies
# What the readers need, and only that (see README.md):
#   - metadata: every regular file of the metadata directories (JSON, ids, configs,
#     big data, tar-split files, meta.db, content blobs);
#   - layer directories: only the files that the tar-split file entries with size > 0
#     name (tar-split takes every header from its own segments: directories, symlinks,
#     hardlinks, whiteouts (char devices), opaque-dir xattrs, empty files, modes, owners
#     and times are never read).
# Git can hold all of that; tests read the copies and must give the same streams.
copy_files() { # copy_files SRC DST FIND-ARGS...: regular files matching, structure kept
    local src=$1 dst=$2; shift 2
    (cd "$src" && find . "$@" -print0 | tar --null --no-recursion -T - -cf -) | (mkdir -p "$dst" && cd "$dst" && tar -xf -)
}
copy_needed() { # copy_needed docker|overlay|vfs SRC-ROOT DST-ROOT: the files the tar-splits read
    # (one name per file: the other names of a hardlinked file are hardlink entries of
    # size 0 in the tar-split and are never read; busybox has 392 of them)
    python3 "$HERE/record.py" needed "$1" "$2" | (cd "$2" && tar --null --no-recursion -T - -cf -) | (mkdir -p "$3" && cd "$3" && tar -xf -)
}
stage_gitsafe() {
    log "gitsafe: metadata + tar-split + the layer files the tar-splits read"
    rm -rf gitsafe; mkdir -p gitsafe
    if [ -d docker20 ]; then
        copy_files docker20 gitsafe/docker20 -type f \( -path './image/overlay2/repositories.json' -o -path './image/overlay2/imagedb/*' \
            -o -path './image/overlay2/layerdb/sha256/*' \)
        copy_needed docker docker20 gitsafe/docker20
    fi
    local s d
    for s in cs-overlay cs-vfs; do
        [ -d "$s/root" ] || continue
        d=${s#cs-}
        copy_files "$s" "gitsafe/$s" -type f \( -path "./root/$d-images/*" -o -path "./root/$d-layers/*" \) ! -name '*.lock'
        copy_needed "$d" "$s/root" "gitsafe/$s/root"
    done
    if [ -d docker26 ]; then
        copy_files docker26 gitsafe/docker26 -type f \( -path './containerd-root/io.containerd.content.v1.content/blobs/*' \
            -o -path './containerd-root/io.containerd.metadata.v1.bolt/meta.db' \)
    fi
    printf '* -text -diff\n' > gitsafe/.gitattributes
    # what a developer gets from git: commit gitsafe/ and clone it (modes 644/755, no
    # owners, fresh mtimes); the tests read gitsafe-clone/ too
    local g; g=$(mktemp -d)
    cp -a gitsafe "$g/src"
    (cd "$g/src" && git init -q && git add -A && git -c user.email=x@x -c user.name=x commit -qm fixtures && git gc -q)
    rm -rf gitsafe-clone; git clone -q "$g/src" gitsafe-clone; rm -rf gitsafe-clone/.git
    rm -rf "$g"
    # the same as one compressed archive
    tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@$EPOCH -C gitsafe -cf - . | gzip -9n > gitsafe.tar.gz
}

stage_sizes() {
    { echo "# du -sb (apparent bytes) / du -sk (disk KiB), $(date -u +%F)"
      for p in docker20 docker26 cs-overlay cs-vfs gitsafe/* gitsafe.tar.gz saves/*; do
          [ -e "$p" ] && printf '%-28s %10s B %8s KiB  files=%s\n' "$p" "$(du -sb "$p" | cut -f1)" "$(du -sk "$p" | cut -f1)" "$(find "$p" -type f | wc -l)"
      done
      echo; echo "gitsafe as a git would store it (git add; count-objects after gc):"
      local g; g=$(mktemp -d)
      cp -a gitsafe "$g/"; (cd "$g/gitsafe" && git init -q && git add -A && git -c user.email=x@x -c user.name=x commit -qm x && git gc -q && git count-objects -vH | grep -E 'size-pack|count')
      rm -rf "$g"
    } | tee records/sizes.txt
}

stage_testdata() { # what the tests read, into testdata/stores of this checkout
    local s
    for s in docker20 docker26 cs-overlay cs-vfs; do
        rm -rf "${OUT:?}/$s" "$OUT/saves/$s" "$OUT/records/$s"
        [ -d "gitsafe/$s" ] || continue
        cp -a "gitsafe/$s" "$OUT/$s"
        mkdir -p "$OUT/saves/$s" "$OUT/records/$s"
        cp saves/$s/all.tar saves/$s/dangling-*.tar "$OUT/saves/$s/"
        cp saves/$s/intermediate-*.tar "$OUT/saves/$s/" 2>/dev/null || true
        cp "records/$s/summary.json" "records/$s/driver.txt" "$OUT/records/$s/"
    done
    cp records/SUMMARY.md "$OUT/records/"
}

stages=("$@")
[ ${#stages[@]} -eq 0 ] && { stages=(deps docker20 docker26 cs-overlay cs-vfs gitsafe sizes report testdata); : > records/notes.txt; }
for s in "${stages[@]}"; do
    case $s in
        docker20) stage_docker20 ;;
        docker26) stage_docker26 ;;
        cs-overlay) stage_cs overlay ;;
        cs-vfs) stage_cs vfs ;;
        gitsafe) stage_gitsafe ;;
        sizes) stage_sizes ;;
        report)
            for d in saves/*/; do d=$(basename "$d"); python3 "$HERE/record.py" saves "saves/$d" > "records/$d/saves.json"; done
            python3 "$HERE/record.py" report records > records/SUMMARY.md ;;
        deps) stage_deps ;;
        testdata) stage_testdata ;;
        *) echo "unknown stage $s" >&2; exit 2 ;;
    esac
done
log "done: ${stages[*]}"
