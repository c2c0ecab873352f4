// Summaries of repeated measurements: median with min, max and relative spread, and ratios of
// medians; shared by the driver, the README table and the chart.

/** { samples, median, min, max, spread } where spread = (max − min) / median. */
export function summarize(samples) {
  const values = samples
    .filter((v) => typeof v === "number" && Number.isFinite(v))
    .sort((a, b) => a - b);
  if (values.length === 0) return { samples, median: null, min: null, max: null, spread: null };
  const mid = Math.floor(values.length / 2);
  const median = values.length % 2 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
  const min = values[0];
  const max = values[values.length - 1];
  return { samples, median, min, max, spread: median ? (max - min) / Math.abs(median) : null };
}

/** a ÷ b of two summaries' medians, or null when either is missing or b is zero. */
export function ratio(a, b) {
  if (!a || !b || a.median === null || b.median === null || b.median === 0) return null;
  return a.median / b.median;
}
