#!/bin/sh
# Record real, read-only nvidia-smi / NVML / sysfs output for the unit-test fixtures.
# Usage: sh tests/hardware/record.sh OUTDIR  (writes OUTDIR/record.txt and OUTDIR/smi_query.csv)
out=${1:?outdir}
q=$(python3 -c 'import sys; sys.path.insert(0, "plugins/module_utils"); import _nvml; print(_nvml.SMI_QUERY)')
nvidia-smi --query-gpu="$q" --format=csv,noheader,nounits > "$out/smi_query.csv" 2>&1; echo "rc=$?" >> "$out/smi_query.csv"
{
  for c in "nvidia-smi --version" "nvidia-smi -L" "cat /proc/driver/nvidia/version" "cat /sys/module/nvidia/version" \
           "ls -l /usr/lib/x86_64-linux-gnu/libnvidia-ml.so* /usr/local/nvidia/lib64/libnvidia-ml.so*" \
           "dpkg-query -W -f=\${Package}\t\${Version}\t\${db:Status-Abbrev}\n nvidia-driver* libnvidia-ml1 libnvidia-compute-* nvidia-kernel-common*" \
           "ls /var/run/nvidia-persistenced" "cat /proc/[0-9]*/comm | grep -c nvidia-persist" \
           "nvidia-smi --query-gpu=$q --format=csv" "nvidia-smi -q"; do
    echo "### $c"; sh -c "$c" 2>&1; echo "### rc=$?"
  done
  echo "### sysfs NVIDIA devices"
  for d in /sys/bus/pci/devices/*; do
    [ "$(cat "$d/vendor")" = 0x10de ] && echo "$d $(cat "$d/device") $(cat "$d/class") $(readlink "$d/driver")"
  done
  echo "### NVML via pynvml (read-only getters)"
  python3 - <<'PY'
import pynvml as n
n.nvmlInit()
print("driver", n.nvmlSystemGetDriverVersion(), "nvml", n.nvmlSystemGetNVMLVersion(), "cuda", n.nvmlSystemGetCudaDriverVersion())
for i in range(n.nvmlDeviceGetCount()):
    h = n.nvmlDeviceGetHandleByIndex(i)
    for f in ("GetName", "GetUUID", "GetPersistenceMode", "GetComputeMode", "GetMigMode", "GetEccMode", "GetPowerManagementLimit",
              "GetPowerManagementLimitConstraints", "GetPowerManagementDefaultLimit", "GetCudaComputeCapability", "GetVbiosVersion",
              "GetArchitecture"):
        try:
            print(i, f, getattr(n, "nvmlDevice" + f)(h))
        except n.NVMLError as e:
            print(i, f, "NVMLError", e.value, e)
    print(i, "busId", n.nvmlDeviceGetPciInfo(h).busId, "memory", n.nvmlDeviceGetMemoryInfo(h).total)
n.nvmlShutdown()
PY
} > "$out/record.txt" 2>&1
