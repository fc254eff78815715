#!/bin/sh
# Files as NVIDIA's .run installer leaves them: libraries in the multiarch directory with their .so.1 links,
# nvidia-smi and nvidia-persistenced in /usr/bin, the uninstaller and the installer log; no package registers
# them. The files are Debian's real 535 ones (unpacked with dpkg -x, not installed), so that the binaries run.
set -eu
work=$(mktemp -d)
cd "$work"
apt-get update -qq
apt-get download -qq libnvidia-ml1 libnvidia-cfg1 nvidia-smi nvidia-persistenced
for deb in ./*.deb; do dpkg -x "$deb" root; done
lib=/usr/lib/x86_64-linux-gnu
for so in root/usr/lib/x86_64-linux-gnu/nvidia/current/lib*.so.5*; do
  name=$(basename "$so")
  cp "$so" "$lib/$name"
  ln -sf "$name" "$lib/$(echo "$name" | sed 's/\.so\.[0-9.]*$/.so.1/')"
done
install -m 0755 root/usr/lib/nvidia/current/nvidia-smi /usr/bin/nvidia-smi
install -m 0755 root/usr/bin/nvidia-persistenced /usr/bin/nvidia-persistenced
printf '#!/bin/sh\necho "nvidia-uninstall: this is a test host"\n' > /usr/bin/nvidia-uninstall
chmod 0755 /usr/bin/nvidia-uninstall
version=$(basename "$(readlink -f "$lib/libnvidia-ml.so.1")" | sed 's/^libnvidia-ml\.so\.//')
printf 'nvidia-installer log file\nInstalling NVIDIA driver version %s.\n' "$version" > /var/log/nvidia-installer.log
ldconfig
cd / && rm -rf "$work"
