#!/bin/bash
# A real multi-image set for the end-to-end bench: a `docker save` (Docker 20.10, as
# Debian 12 ships it) of 15 Python services on one fat Debian bookworm base built with
# debootstrap, with real pip and npm installs from the registries. See README.md.
#
#   sudo benches/real_fleet/build.sh [all|gen|dockerd|base|services|save|stop]   # OUT defaults to target/real-fleet
#
# Needs root, docker.io and debootstrap (apt-get install docker.io debootstrap), and the
# Debian, PyPI and npm registries. Skips the debootstrap when the rootfs is there.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
R=$(mkdir -p "${OUT:-target/real-fleet}" && cd "${OUT:-target/real-fleet}" && pwd)
export REAL_FLEET_SERVICES=$R/services
export DOCKER_HOST=unix://$R/docker.sock
MIRROR=http://deb.debian.org/debian
BASE_PKGS=python3,python3-pip,python3-venv,python3-dev,python3-setuptools,python3-wheel,build-essential,gcc,g++,make,git,curl,wget,ca-certificates,libpq-dev,libssl-dev,libffi-dev,libxml2-dev,libxslt1-dev,zlib1g-dev,libjpeg-dev,libpng-dev,libsqlite3-dev,libbz2-dev,libreadline-dev,libncurses-dev,liblzma-dev,libyaml-dev,pkg-config,procps,openssh-client,less,netbase,tzdata,xz-utils,unzip,gnupg

start_dockerd() {
  if ! docker info >/dev/null 2>&1; then
    dockerd --iptables=false --bridge=none --data-root $R/docker-root --host unix://$R/docker.sock &> $R/dockerd.log &
    echo $! > $R/dockerd.pid
    for i in $(seq 30); do docker info >/dev/null 2>&1 && break; sleep 1; done
  fi
}

build_base() {
  if ! docker image inspect fleetbase:1 >/dev/null 2>&1; then
    if [ ! -f $R/rootfs/.done ]; then
      rm -rf $R/rootfs
      debootstrap --variant=minbase --include=$BASE_PKGS bookworm $R/rootfs $MIRROR
      # same sources as host (main only, http)
      printf 'deb %s bookworm main\ndeb %s bookworm-updates main\ndeb http://deb.debian.org/debian-security bookworm-security main\n' $MIRROR $MIRROR > $R/rootfs/etc/apt/sources.list
      # like official images: drop the downloaded .debs and apt lists (everything installed stays)
      rm -f $R/rootfs/var/cache/apt/archives/*.deb $R/rootfs/var/cache/apt/*.bin
      rm -rf $R/rootfs/var/lib/apt/lists/*
      touch $R/rootfs/.done
    fi
    tar --exclude=./.done --exclude='./proc/*' --exclude='./sys/*' -C $R/rootfs -c . | docker import \
      -c 'ENV LANG=C.UTF-8 PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
      -c 'CMD ["python3"]' - fleetbase:1
  fi
}

build_services() {
  for d in $R/services/*/; do
    name=$(cat $d/NAME); ver=$(cat $d/VERSION)
    cp /etc/ssl/certs/ca-certificates.crt $d/ca-certificates.crt
    printf '[global]\ncert = /etc/ssl/certs/ca-certificates.crt\nbreak-system-packages = true\n' > $d/pip.conf
    echo "=== building fleet/$name:$ver"
    docker build --network host -t fleet/$name:$ver $d
  done
}

save() {
  tags=$(for d in $R/services/*/; do echo fleet/$(cat $d/NAME):$(cat $d/VERSION); done)
  rm -f $R/fleet.tar
  docker save -o $R/fleet.tar fleetbase:1 $tags
  ls -l $R/fleet.tar
}

case "${1:-all}" in
  dockerd) start_dockerd;;
  base) start_dockerd; build_base;;
  services) start_dockerd; build_services;;
  save) start_dockerd; save;;
  gen) python3 "$HERE/gen_services.py";;
  stop) [ -f $R/dockerd.pid ] && kill "$(cat $R/dockerd.pid)" || true;;
  all) [ -d $R/services ] || python3 "$HERE/gen_services.py"; start_dockerd; build_base; build_services; save;;
esac
