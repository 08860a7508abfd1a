// The console's own strings, zh-CN (default) and English, with the field app's mechanism
// (`translate` in ../i18n.ts): `en` is typed against `zh`, so a key missing in one language
// does not compile, and a unit test checks both have the same keys and {placeholders}. Kept
// apart from ../i18n.ts so the console and the field app grow without touching each other.

import { currentLang } from "../i18n.js";
import { type Lang, type Text } from "./api.js";

const zh = {
  "console.title": "指挥部控制台",
  "console.loading": "正在加载…",
  "console.lang": "语言",
  "console.signed_in_as": "{name}（{unit}）",
  "console.sign_out": "退出登录",
  "console.all_units": "全区",

  "signin.title": "登录控制台",
  "signin.intro": "请输入管理员为您生成的一次性登录码；区卫健局管理员可使用管理员凭证登录。",
  "signin.code": "登录码",
  "signin.code_hint": "例如 ABCD-EFGH",
  "signin.admin": "使用管理员凭证登录",
  "signin.admin_token": "管理员凭证",
  "signin.submit": "登录",
  "signin.required": "请输入登录码或管理员凭证",

  "nav.results": "结果列表",
  "nav.import": "导入名单",
  "nav.wall": "大屏",
  "nav.health": "同步状态",

  "filter.program": "项目",
  "filter.batch": "批次",
  "filter.town": "镇街",
  "filter.status": "状态",
  "filter.outcome": "核查结果",
  "filter.search": "姓名 / 手机尾号 / 身份证号",
  "filter.all": "全部",
  "filter.apply": "查询",

  "results.total": "共 {n} 人",
  "results.export": "导出 Excel",
  "results.exporting": "正在导出…",
  "results.empty": "没有符合条件的人员",
  "results.prev": "上一页",
  "results.next": "下一页",
  "results.page": "第 {from}–{to} 条",
  "results.live": "每 {s} 秒自动刷新",
  "results.updated": "更新于 {t}",
  "results.detail": "人员详情",
  "results.masked_note": "您的角色只能查看脱敏信息",
  "results.close": "关闭",

  "col.batch": "批次号",
  "col.status": "状态",
  "col.outcome": "核查结果",
  "col.note": "备注",
  "col.dispatched": "派发时间",
  "col.claimed": "认领时间",
  "col.answered": "反馈时间",
  "col.review": "待复核",

  "import.title": "导入名单",
  "import.intro": "选择项目和 Excel 名单（.xlsx / .xls / .ods），导入后按所属镇街派发。",
  "import.file": "名单文件",
  "import.submit": "导入",
  "import.working": "正在导入…",
  "import.done": "批次 {batch}：共 {rows} 行，导入 {imported} 人，失败 {failed} 行",
  "import.failures": "下载导入失败名单",
  "import.choose_file": "请选择名单文件",
  "import.admin_only": "导入名单需要区卫健局管理员登录",
  "import.batches": "最近批次",
  "import.created": "导入时间",
  "import.counts": "行数 / 导入 / 失败",

  "wall.title": "疫情防控指挥大屏",
  "wall.fullscreen": "全屏",
  "wall.exit_fullscreen": "退出全屏",
  "wall.counts": "各镇街任务情况",
  "wall.unclaimed": "待认领",
  "wall.claimed": "已认领待反馈",
  "wall.answered": "已反馈",
  "wall.overdue": "超时",
  "wall.total": "合计",
  "wall.completion": "各镇街完成率",
  "wall.trend": "完成率趋势",
  "wall.alerts": "实时告警",
  "wall.no_alerts": "暂无告警",
  "wall.tasks": "任务",
  "wall.flow": "流程详情",
  "wall.choose_task": "选择一个任务查看流程",
  "wall.task_counts": "{answered}/{members} 已反馈",
  "wall.standing": "告警 {n}",

  "health.title": "设备同步状态",
  "health.user": "人员",
  "health.unit": "单位",
  "health.device": "设备",
  "health.last_sync": "上次同步",
  "health.waiting": "上次同步时待上传",
  "health.oldest": "最早未传的更改",
  "health.never": "从未同步",
  "health.revoked": "已停用",
  "health.empty": "辖区内没有已登记的设备",
  "health.ago": "{age}前",
};

type Key = keyof typeof zh;

const en: Record<Key, string> = {
  "console.title": "Command centre console",
  "console.loading": "Loading…",
  "console.lang": "Language",
  "console.signed_in_as": "{name} ({unit})",
  "console.sign_out": "Sign out",
  "console.all_units": "Whole district",

  "signin.title": "Sign in to the console",
  "signin.intro": "Enter the one-time sign-in code your administrator made for you; the district administrator may sign in with the administrator token.",
  "signin.code": "Sign-in code",
  "signin.code_hint": "e.g. ABCD-EFGH",
  "signin.admin": "Sign in with the administrator token",
  "signin.admin_token": "Administrator token",
  "signin.submit": "Sign in",
  "signin.required": "Enter a sign-in code or the administrator token",

  "nav.results": "Results",
  "nav.import": "Import",
  "nav.wall": "Wall screen",
  "nav.health": "Sync health",

  "filter.program": "Program",
  "filter.batch": "Batch",
  "filter.town": "Town",
  "filter.status": "Status",
  "filter.outcome": "Outcome",
  "filter.search": "Name / phone tail / ID",
  "filter.all": "All",
  "filter.apply": "Search",

  "results.total": "{n} persons",
  "results.export": "Export to Excel",
  "results.exporting": "Exporting…",
  "results.empty": "No persons match",
  "results.prev": "Previous",
  "results.next": "Next",
  "results.page": "Rows {from}–{to}",
  "results.live": "Refreshes every {s} s",
  "results.updated": "Updated {t}",
  "results.detail": "Person",
  "results.masked_note": "Your role sees masked data only",
  "results.close": "Close",

  "col.batch": "Batch",
  "col.status": "Status",
  "col.outcome": "Outcome",
  "col.note": "Note",
  "col.dispatched": "Dispatched",
  "col.claimed": "Claimed",
  "col.answered": "Answered",
  "col.review": "Review",

  "import.title": "Import a list",
  "import.intro": "Choose the program and the Excel list (.xlsx / .xls / .ods); persons are dispatched to their towns.",
  "import.file": "List file",
  "import.submit": "Import",
  "import.working": "Importing…",
  "import.done": "Batch {batch}: {rows} rows, {imported} imported, {failed} failed",
  "import.failures": "Download the failure workbook",
  "import.choose_file": "Choose a list file",
  "import.admin_only": "Importing needs the district administrator's sign-in",
  "import.batches": "Latest batches",
  "import.created": "Imported",
  "import.counts": "Rows / imported / failed",

  "wall.title": "Outbreak command wall screen",
  "wall.fullscreen": "Full screen",
  "wall.exit_fullscreen": "Exit full screen",
  "wall.counts": "Tasks per town",
  "wall.unclaimed": "Unclaimed",
  "wall.claimed": "Claimed",
  "wall.answered": "Answered",
  "wall.overdue": "Overdue",
  "wall.total": "Total",
  "wall.completion": "Completion per town",
  "wall.trend": "Completion over time",
  "wall.alerts": "Live alerts",
  "wall.no_alerts": "No alerts",
  "wall.tasks": "Tasks",
  "wall.flow": "Task flow",
  "wall.choose_task": "Choose a task to see its flow",
  "wall.task_counts": "{answered}/{members} answered",
  "wall.standing": "{n} alerts",

  "health.title": "Device sync health",
  "health.user": "User",
  "health.unit": "Unit",
  "health.device": "Device",
  "health.last_sync": "Last sync",
  "health.waiting": "Waiting at last sync",
  "health.oldest": "Oldest unsent",
  "health.never": "Never synced",
  "health.revoked": "Revoked",
  "health.empty": "No devices are enrolled in your area",
  "health.ago": "{age} ago",
};

export type ConsoleKey = Key;
export const CONSOLE_DICTIONARY: Record<Lang, Record<Key, string>> = { "zh-CN": zh, en };

/** The console string for `key` in the current language, `{name}` placeholders filled. */
export function ct(key: Key, params: Record<string, string | number> = {}): string {
  const template = CONSOLE_DICTIONARY[currentLang()][key] ?? zh[key];
  return template.replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in params ? String(params[name]) : whole,
  );
}

/** A server label in the current language. */
export function tx(text: Text | null | undefined): string {
  if (!text) return "";
  return currentLang() === "en" ? text.en : text.zh;
}
