// A uPlot chart in a Preact component: created once per `optionsKey` (language, zone,
// which series exist), fed new data in place, resized with its box. No animation:
// uPlot draws each frame once.
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';

export const CHART_FONT = '12px system-ui, "Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", sans-serif';
export const COLORS = {
  power: '#2563eb',
  powerFill: 'rgba(37, 99, 235, 0.12)',
  bar: '#2563eb',
  barEstimated: '#a5c3f7',
  water: '#0e9f9a',
  estimated: '#ea7a0c',
  axis: '#4b5563',
  grid: '#e5e7eb',
};

interface Props {
  testId: string;
  height: number;
  data: uPlot.AlignedData;
  /** builds the options for the current width; called again only when `optionsKey` changes */
  options: (width: number, height: number) => uPlot.Options;
  optionsKey: string;
  /** the data index under the cursor, or null when it leaves */
  onCursor?: (idx: number | null) => void;
  label: string;
}

/** x values with at least one non-null y: what the chart draws. */
function drawnPoints(data: uPlot.AlignedData): number {
  const [xs, ...ys] = data;
  let n = 0;
  for (let i = 0; i < xs.length; i++) if (ys.some((y) => y[i] != null)) n++;
  return n;
}

export function Chart({ testId, height, data, options, optionsKey, onCursor, label }: Props) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const latestData = useRef(data);
  latestData.current = data;
  const cursor = useRef(onCursor);
  cursor.current = onCursor;

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const opts = options(Math.max(el.clientWidth, 120), height);
    opts.hooks = {
      ...opts.hooks,
      setCursor: [...(opts.hooks?.setCursor ?? []), (u) => cursor.current?.(u.cursor.idx ?? null)],
      draw: [...(opts.hooks?.draw ?? []), (u) => { el.dataset.points = String(drawnPoints(u.data)); }],
    };
    const u = new uPlot(opts, latestData.current, el);
    plot.current = u;
    const resize = new ResizeObserver(() => {
      const w = el.clientWidth;
      if (w > 0 && Math.abs(w - u.width) > 1) u.setSize({ width: w, height });
    });
    resize.observe(el);
    return () => {
      resize.disconnect();
      u.destroy();
      plot.current = null;
    };
  }, [optionsKey, height]);

  useEffect(() => {
    plot.current?.setData(data);
  }, [data]);

  return <div ref={box} class="chart" style={{ height: `${height}px` }} data-testid={testId} role="img" aria-label={label} />;
}
