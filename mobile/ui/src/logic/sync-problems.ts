// Records whose sync went wrong, as the screens mark them: a badge on the task list's row and the
// person page (the label comes from the Rust side, in the user's language: 无法读取，已报告, or
// 服务器拒收：<the server's reason>), and the counts in the sync bar.

import { type Lang, type SyncProblemView, type SyncStatus } from "../contract.js";
import { translate } from "../i18n.js";

/** The badge's classes: an unreadable record is a danger (what is shown is an old copy), a
 *  refused push a warning (the worker's change waits). */
export function problemBadgeClass(problem: SyncProblemView): string {
  return problem.kind === "unreadable" ? "badge danger sync-problem" : "badge warn sync-problem";
}

/** The sync bar's words for the records with problems, or null when there are none. */
export function problemSummary(lang: Lang, status: Pick<SyncStatus, "unreadable_records" | "refused_records">): string | null {
  const parts: string[] = [];
  if (status.unreadable_records > 0) parts.push(translate(lang, "sync.unreadable", { n: status.unreadable_records }));
  if (status.refused_records > 0) parts.push(translate(lang, "sync.refused", { n: status.refused_records }));
  return parts.length > 0 ? parts.join(" · ") : null;
}
