// The wall screen (大屏): counts per town (待认领 / 已认领待反馈 / 已反馈 / 超时), completion per
// town as an inline SVG bar chart, the live alert feed (polled with a cursor), the tasks and
// one task's flow. 全屏 switches to large type for a room.

import { fill, h, select } from "../../dom.js";
import { formatDateTime } from "../../logic/time.js";
import { type FeedItem, type ProgressPoint, type TaskSummary, type TownCounts } from "../api.js";
import { type ConsoleCtx } from "../ctx.js";
import { barWidths, curvePoints, mergeFeed, percent } from "../logic.js";
import { ct, tx } from "../strings.js";

/** How often the wall screen polls its figures and the alert feed. */
export const WALL_POLL_MS = 3000;

const SVG = "http://www.w3.org/2000/svg";

function svg(tag: string, attrs: Record<string, string | number>, text?: string): SVGElement {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

/** Completion per town as horizontal bars; the text is in the SVG, so it scales with it. */
function completionChart(towns: TownCounts[]): SVGElement {
  const rowHeight = 28;
  const width = 600;
  const labelWidth = 150;
  const chart = svg("svg", {
    viewBox: `0 0 ${width} ${Math.max(1, towns.length) * rowHeight + 4}`,
    class: "chart",
    role: "img",
    "aria-label": ct("wall.completion"),
    "data-testid": "wall-completion-chart",
  });
  const widths = barWidths(
    towns.map((t) => t.completion),
    true,
  );
  towns.forEach((town, i) => {
    const y = i * rowHeight + 4;
    const bar = ((width - labelWidth - 70) * widths[i]) / 100;
    chart.appendChild(svg("text", { x: 0, y: y + 17, class: "chart-label" }, tx(town.unit_name)));
    chart.appendChild(svg("rect", { x: labelWidth, y, width: width - labelWidth - 70, height: 20, class: "chart-track", rx: 3 }));
    chart.appendChild(svg("rect", { x: labelWidth, y, width: bar, height: 20, class: "chart-bar", rx: 3 }));
    chart.appendChild(
      svg("text", { x: width - 64, y: y + 17, class: "chart-value", "data-unit": town.unit }, percent(town.completion, town.total)),
    );
  });
  return chart;
}

/** Completion over time as a line from the first dispatch to now, with its first and last
 *  times under it and the latest share at its end. */
function trendChart(points: ProgressPoint[]): SVGElement {
  const width = 600;
  const height = 140;
  const chart = svg("svg", {
    viewBox: `0 0 ${width} ${height + 24}`,
    class: "chart",
    role: "img",
    "aria-label": ct("wall.trend"),
    "data-testid": "wall-trend-chart",
  });
  chart.appendChild(svg("rect", { x: 0, y: 0, width, height, class: "chart-track" }));
  if (points.length > 0) {
    const plot = width - 70;
    chart.appendChild(svg("polyline", { points: curvePoints(points, plot, height), class: "chart-line" }));
    const last = points[points.length - 1];
    chart.appendChild(
      svg("text", { x: plot + 6, y: 20, class: "chart-value", "data-testid": "wall-trend-latest" }, percent(last.dispatched > 0 ? last.answered / last.dispatched : 0, last.dispatched)),
    );
    chart.appendChild(svg("text", { x: 0, y: height + 18, class: "chart-label" }, formatDateTime(points[0].at_ms)));
    chart.appendChild(svg("text", { x: plot, y: height + 18, class: "chart-label", "text-anchor": "end" }, formatDateTime(last.at_ms)));
  }
  return chart;
}

export function wallView(root: HTMLElement, ctx: ConsoleCtx): void {
  const programs = ctx.me.programs;
  const programSelect = select(
    { testid: "wall-program" },
    programs.map((p) => ({ value: p.id, label: tx(p.name) })),
    programs[0]?.id ?? null,
    null,
  );
  const fullscreen = h("button", { type: "button", testid: "wall-fullscreen" }, ct("wall.fullscreen"));
  const counts = h("div", { class: "table-wrap", testid: "wall-counts" });
  const chart = h("div", { class: "wall-chart" });
  const feedList = h("ol", { class: "feed", testid: "wall-alerts" });
  const taskList = h("ul", { class: "tasks", testid: "wall-tasks" });
  const flow = h("div", { class: "flow-panel", testid: "wall-flow" }, h("p", { class: "muted" }, ct("wall.choose_task")));
  let feed: FeedItem[] = [];
  let cursor: number | null = null;
  let chosenTask: string | null = null;

  fullscreen.addEventListener("click", () => {
    const on = !document.body.classList.contains("wall-fullscreen");
    document.body.classList.toggle("wall-fullscreen", on);
    // On the root too, so rem-sized headings and controls grow with the text.
    document.documentElement.classList.toggle("wall-fullscreen", on);
    fullscreen.textContent = on ? ct("wall.exit_fullscreen") : ct("wall.fullscreen");
    if (on && document.documentElement.requestFullscreen) {
      document.documentElement.requestFullscreen().catch(() => undefined);
    } else if (!on && document.fullscreenElement) {
      document.exitFullscreen().catch(() => undefined);
    }
  });

  const showCounts = (towns: TownCounts[], trend: ProgressPoint[]) => {
    const sum = (f: (t: TownCounts) => number) => towns.reduce((n, t) => n + f(t), 0);
    const cells = (t: Pick<TownCounts, "unclaimed" | "claimed" | "answered" | "overdue">) => [
      h("td", { class: "num", "data-col": "unclaimed" }, t.unclaimed),
      h("td", { class: "num", "data-col": "claimed" }, t.claimed),
      h("td", { class: "num", "data-col": "answered" }, t.answered),
      h("td", { class: `num ${t.overdue > 0 ? "overdue" : ""}`, "data-col": "overdue" }, t.overdue),
    ];
    fill(
      counts,
      h(
        "table",
        { class: "grid counts" },
        h(
          "thead",
          {},
          h("tr", {}, ["", ct("wall.unclaimed"), ct("wall.claimed"), ct("wall.answered"), ct("wall.overdue")].map((t) => h("th", {}, t))),
        ),
        h(
          "tbody",
          {},
          towns.map((t) => h("tr", { testid: "town-row", "data-unit": t.unit }, h("th", {}, tx(t.unit_name)), cells(t))),
        ),
        h(
          "tfoot",
          {},
          h(
            "tr",
            { testid: "town-total" },
            h("th", {}, ct("wall.total")),
            cells({
              unclaimed: sum((t) => t.unclaimed),
              claimed: sum((t) => t.claimed),
              answered: sum((t) => t.answered),
              overdue: sum((t) => t.overdue),
            }),
          ),
        ),
      ),
    );
    fill(
      chart,
      h("h2", {}, ct("wall.completion")),
      completionChart(towns.filter((t) => t.total > 0)),
      h("h2", {}, ct("wall.trend")),
      trendChart(trend),
    );
  };

  const showFeed = () => {
    if (feed.length === 0) {
      fill(feedList, h("li", { class: "muted" }, ct("wall.no_alerts")));
      return;
    }
    fill(
      feedList,
      feed.map((item) =>
        h(
          "li",
          { testid: "alert-item", "data-kind": item.kind, class: item.kind === "alert_raised" ? "raised" : "resolved" },
          h("time", {}, formatDateTime(item.at_ms)),
          h("strong", {}, ` ${tx(item.unit_name)} ${tx(item.label)} `),
          h("span", {}, tx(item.detail)),
        ),
      ),
    );
  };

  const showFlow = async (task: string) => {
    const f = await ctx.api.flow(task);
    fill(
      flow,
      h("h2", {}, `${ct("wall.flow")} · ${tx(f.unit_name)} · ${f.batch}`),
      h("p", { class: "muted" }, ct("wall.task_counts", { answered: f.answered, members: f.members })),
      h(
        "ol",
        { class: "flow", testid: "flow-items" },
        f.items.map((i) =>
          h(
            "li",
            { "data-kind": i.kind, class: i.kind.startsWith("alert") ? i.kind : "" },
            h("time", {}, formatDateTime(i.at_ms, true)),
            ` ${tx(i.label)} `,
            i.person ? h("span", { class: "person" }, i.person) : null,
            i.by ? ` · ${i.by}` : null,
            tx(i.detail) ? ` · ${tx(i.detail)}` : null,
          ),
        ),
      ),
    );
  };

  const showTasks = (tasks: TaskSummary[]) => {
    if (tasks.length === 0) {
      fill(taskList, h("li", { class: "muted", testid: "wall-tasks-empty" }, ct("wall.no_tasks")));
      return;
    }
    fill(
      taskList,
      tasks.map((t) => {
        const item = h(
          "li",
          { testid: "task-item", "data-task": t.id, class: t.id === chosenTask ? "chosen" : "" },
          h("strong", {}, tx(t.unit_name)),
          ` ${t.batch} · ${ct("wall.task_counts", { answered: t.answered, members: t.members })}`,
          t.moved_in > 0 ? ` · ${ct("wall.moved_in", { n: t.moved_in })}` : null,
          t.standing_alerts > 0 ? h("span", { class: "badge overdue" }, ct("wall.standing", { n: t.standing_alerts })) : null,
        );
        item.addEventListener("click", () => {
          chosenTask = t.id;
          void showFlow(t.id).catch(ctx.error);
        });
        return item;
      }),
    );
  };

  const refresh = async () => {
    const program = programSelect.value;
    const [towns, trend, news, tasks] = await Promise.all([
      ctx.api.towns(program, ""),
      ctx.api.progress(program, ""),
      ctx.api.alerts(cursor),
      ctx.api.tasks(program, ""),
    ]);
    showCounts(towns, trend);
    feed = mergeFeed(feed, news.items);
    cursor = news.cursor_ms;
    showFeed();
    showTasks(tasks);
    if (chosenTask) await showFlow(chosenTask);
  };
  programSelect.addEventListener("change", () => void refresh().catch(ctx.error));

  fill(
    root,
    h("div", { class: "wall-head" }, h("h1", {}, ct("wall.title")), programSelect, fullscreen),
    h(
      "div",
      { class: "wall-grid" },
      h("section", { class: "card wall-counts", testid: "wall-counts-card" }, h("h2", {}, ct("wall.counts")), counts),
      h("section", { class: "card wall-chart" }, chart),
      h("section", { class: "card alerts wall-alerts", testid: "wall-alerts-card" }, h("h2", {}, ct("wall.alerts")), feedList),
      h("section", { class: "card wall-tasks", testid: "wall-tasks-card" }, h("h2", {}, ct("wall.tasks")), taskList, flow),
    ),
  );
  ctx.poll(WALL_POLL_MS, refresh);
}
