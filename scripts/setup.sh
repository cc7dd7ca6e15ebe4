#!/usr/bin/env bash
# Installs what building and testing idshot needs on Debian/Ubuntu: the system libraries behind the
# camera (nokhwa's V4L2 bindings need libclang), the window (eframe needs X11/Wayland/GL) and the
# shutter sound (rodio/cpal need ALSA's headers), Xvfb and Mesa's software renderers for the headless
# GUI tests, and the Rust toolchain if it is missing.
# Safe to run again: it installs only what is absent.
#
# Other systems: install the equivalents of the packages below (Fedora: clang-devel, libX11-devel,
# libxkbcommon-devel, wayland-devel, mesa-libGL-devel, alsa-lib-devel, mesa-vulkan-drivers,
# xorg-x11-server-Xvfb), and Rust 1.95 or newer from https://rustup.rs. macOS and Windows need no
# system packages.
set -euo pipefail

packages=(
  build-essential pkg-config
  clang libclang-dev libv4l-dev libudev-dev            # camera: nokhwa / v4l2 bindings
  libx11-dev libxcursor-dev libxrandr-dev libxi-dev    # window: eframe / winit on X11
  libxkbcommon-dev libxkbcommon-x11-0 libwayland-dev   # window: Wayland, keyboard
  libgl1-mesa-dev libegl1-mesa-dev libgl1-mesa-dri     # GL for the glow renderer (llvmpipe without a GPU)
  libasound2-dev                                       # sound: rodio / cpal on ALSA (the shutter click)
  mesa-vulkan-drivers libvulkan1                       # lavapipe: headless rendering in GUI tests
  xvfb xauth                                           # a virtual display for GUI tests
  python3                                              # the benchmark scorer
)

if command -v dpkg-query >/dev/null 2>&1; then
  missing=()
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if ((${#missing[@]})); then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    echo "setup: installing ${missing[*]}" >&2
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
else
  echo "setup: not a Debian/Ubuntu system; install the packages listed in scripts/setup.sh yourself" >&2
fi

if ! command -v cargo >/dev/null 2>&1; then
  echo "setup: Rust is missing: install it from https://rustup.rs (1.95 or newer), then run this again" >&2
  exit 1
fi
