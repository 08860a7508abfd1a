// Pure helpers of the console views, unit-tested with node --test (no DOM).

import { type FeedItem, type OutcomeNode, type Text } from "./api.js";

/** New feed entries merged into what is shown: one entry per key, newest first, at most `cap`. */
export function mergeFeed(shown: FeedItem[], incoming: FeedItem[], cap = 200): FeedItem[] {
  const byKey = new Map<string, FeedItem>();
  for (const item of [...shown, ...incoming]) byKey.set(item.key, item);
  return [...byKey.values()]
    .sort((a, b) => b.at_ms - a.at_ms || (a.key < b.key ? 1 : a.key > b.key ? -1 : 0))
    .slice(0, cap);
}

/** 0.4567 → "45.7%"; a town with no persons shows "—". */
export function percent(fraction: number, total: number): string {
  if (total <= 0) return "—";
  return `${(Math.round(fraction * 1000) / 10).toFixed(1)}%`;
}

/** The outcome tree flattened for a filter drop-down: every code with its depth, in order. */
export function outcomeOptions(roots: OutcomeNode[]): { code: string; label: Text; depth: number }[] {
  const out: { code: string; label: Text; depth: number }[] = [];
  const walk = (nodes: OutcomeNode[], depth: number) => {
    for (const node of nodes) {
      out.push({ code: node.code, label: node.label, depth });
      walk(node.children ?? [], depth + 1);
    }
  };
  walk(roots, 0);
  return out;
}

/** Bars of a horizontal chart: each value's width in per cent of the widest (or of 1 for
 *  fractions), so the chart reads the same at any size. */
export function barWidths(values: number[], fractions: boolean): number[] {
  const max = fractions ? 1 : Math.max(1, ...values);
  return values.map((v) => Math.max(0, Math.min(100, (v / max) * 100)));
}

/** The completion curve as SVG polyline points in a `width` × `height` box: x by time, y by the
 *  share answered of those dispatched by then (0 % at the bottom). */
export function curvePoints(
  points: { at_ms: number; dispatched: number; answered: number }[],
  width: number,
  height: number,
): string {
  if (points.length === 0) return "";
  const first = points[0].at_ms;
  const span = Math.max(1, points[points.length - 1].at_ms - first);
  return points
    .map((p) => {
      const x = ((p.at_ms - first) / span) * width;
      const share = p.dispatched > 0 ? p.answered / p.dispatched : 0;
      const y = height - share * height;
      return `${Math.round(x * 10) / 10},${Math.round(y * 10) / 10}`;
    })
    .join(" ");
}
