// A Linux VM for what this machine's kernel cannot do (mount vfat or exfat):
// Debian's kernel (extracted by npm run setup into build/tools/vm/kernel)
// under qemu, emulated (no KVM needed), booted with a busybox initramfs. It
// mounts this machine's / over 9p and runs one command in a chroot there:
// the same repository, the same dist/blit, the same bun, on the VM's kernel,
// with a tmpfs of the VM's own as its TMPDIR (the sandboxes, the images).

import { existsSync, mkdirSync, readdirSync, writeFileSync, copyFileSync, chmodSync } from "node:fs";
import { join } from "node:path";
import { hasCommand, isRoot, ROOT, run } from "./blit.ts";
import { sandbox } from "./sandbox.ts";

const KERNEL_ROOT = join(ROOT, "build", "tools", "vm", "kernel");
const BUSYBOX = "/bin/busybox";

/** Loaded in this order, each after what it needs: 9p over virtio, loop devices, FAT and exFAT with the code pages FAT's names need. */
const MODULES = [
  "drivers/virtio/virtio_ring",
  "drivers/virtio/virtio",
  "drivers/virtio/virtio_pci_legacy_dev",
  "drivers/virtio/virtio_pci_modern_dev",
  "drivers/virtio/virtio_pci",
  "net/9p/9pnet",
  "net/9p/9pnet_virtio",
  "fs/netfs/netfs",
  "fs/fscache/fscache",
  "fs/9p/9p",
  "drivers/block/loop",
  "fs/fat/fat",
  "fs/fat/vfat",
  "fs/exfat/exfat",
  "fs/nls/nls_cp437",
  "fs/nls/nls_ascii",
  "fs/nls/nls_utf8",
  "fs/nls/nls_iso8859-1",
];

function kernelVersion(): string | undefined {
  const modules = join(KERNEL_ROOT, "lib", "modules");
  return existsSync(modules) ? readdirSync(modules)[0] : undefined;
}

/** Why the VM cannot run here, or undefined if it can. */
export const vmUnavailable: string | undefined = !isRoot
  ? "the VM's chroot needs root"
  : !hasCommand("qemu-system-x86_64")
    ? "qemu-system-x86_64 is not installed (qemu-system-x86)"
    : !existsSync(BUSYBOX)
      ? "busybox is not installed (busybox-static)"
      : !kernelVersion()
        ? "Debian's kernel is not in build/tools/vm/kernel (npm run setup extracts it)"
        : undefined;

/**
 * Runs `command` (sh, in the repository's directory) in the VM: its output
 * (the kernel's own lines among it) and its exit status, or -1 where the VM
 * did not get that far.
 */
export function runInVm(command: string, timeoutMs: number): { output: string; exitCode: number } {
  const version = kernelVersion()!;
  const dir = sandbox("vm");
  const initrd = join(dir, "initrd");
  // Empty on this machine; in the VM, a tmpfs over it.
  const scratch = join(dir, "vm-tmp");
  mkdirSync(scratch);
  for (const sub of ["bin", "mods", "proc", "sys", "dev", "host"]) mkdirSync(join(initrd, sub), { recursive: true });
  copyFileSync(BUSYBOX, join(initrd, "bin", "busybox"));
  const moduleDir = join(KERNEL_ROOT, "lib", "modules", version, "kernel");
  for (const module of MODULES) copyFileSync(join(moduleDir, `${module}.ko`), join(initrd, "mods", `${module.split("/").pop()}.ko`));
  const names = MODULES.map((module) => `${module.split("/").pop()}.ko`).join(" ");
  writeFileSync(join(initrd, "command.sh"), `cd '${ROOT}'\n${command}\n`);
  writeFileSync(
    join(initrd, "init"),
    `#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc && mount -t sysfs sys /sys && mount -t devtmpfs dev /dev
for m in ${names}; do insmod /mods/$m || echo "vm: insmod $m failed"; done
if mount -t 9p -o trans=virtio,version=9p2000.L,msize=524288,cache=loose host /host; then
  mount -t proc proc /host/proc && mount -t sysfs sys /host/sys && mount -t devtmpfs dev /host/dev && mount -t tmpfs -o size=2g tmpfs '/host${scratch}'
  chroot /host /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root NO_COLOR=1 TMPDIR='${scratch}' BLIT_TEST_TMP='${scratch}' /bin/sh -c "$(cat /command.sh)"
  echo "vm-exit=$?"
else
  echo "vm: mounting the host over 9p failed"
fi
poweroff -f
`,
  );
  chmodSync(join(initrd, "init"), 0o755);
  const packed = run(["sh", "-c", `cd '${initrd}' && find . | busybox cpio -o -H newc 2>/dev/null | gzip -1 > ../initrd.gz`]);
  if (packed.exitCode !== 0) throw new Error(`packing the initramfs failed: ${packed.stderr}`);
  const vm = run(
    [
      "qemu-system-x86_64",
      "-accel", "tcg,thread=multi",
      "-cpu", "max",
      "-m", "3072",
      "-smp", "2",
      "-kernel", join(KERNEL_ROOT, "boot", `vmlinuz-${version}`),
      "-initrd", join(dir, "initrd.gz"),
      "-append", "console=ttyS0 panic=-1 quiet",
      "-nographic",
      "-no-reboot",
      "-virtfs", "local,path=/,mount_tag=host,security_model=passthrough,id=host,multidevs=remap",
    ],
    { timeout: timeoutMs },
  );
  // The serial console's escape sequences (colours, the BIOS clearing the screen) are not the command's.
  const output = vm.stdout.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, "").replace(/\r/g, "");
  const status = /^vm-exit=(\d+)$/m.exec(output);
  return { output, exitCode: status ? Number(status[1]) : -1 };
}
