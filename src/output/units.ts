// Sizes, rates and durations as people read them: binary units, a few
// significant digits.

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];

/** 512 B, 1.5 KiB, 23.4 MiB, 117 GiB. */
export function humanBytes(n: number): string {
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  const digits = unit === 0 || value >= 100 ? 0 : 1;
  return `${value.toFixed(digits)} ${UNITS[unit]}`;
}

/** 352 MiB/s; nothing measurable in no time is 0 B/s. */
export function humanRate(bytes: number, seconds: number): string {
  return `${humanBytes(seconds > 0 ? bytes / seconds : 0)}/s`;
}

/** 0.42 s, 3.4 s, 2:05, 1:02:05. */
export function humanSeconds(seconds: number): string {
  if (seconds < 10) return `${seconds.toFixed(seconds < 1 ? 2 : 1)} s`;
  const whole = Math.round(seconds);
  const h = Math.floor(whole / 3600);
  const m = Math.floor((whole % 3600) / 60);
  const s = String(whole % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
}
