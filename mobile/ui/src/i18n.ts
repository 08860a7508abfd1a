// Every string the UI writes itself, in Simplified Chinese (the default) and English, from one
// dictionary. Labels that come from the program (outcomes, fields, statuses, deadlines) arrive
// from the Rust side already in the user's language and are not here.
//
// `en` is typed against `zh` so a key missing in one language does not compile; a unit test also
// checks at run time that both have the same keys, no empty strings and the same {placeholders}.

import { type Lang } from "./contract.js";

const zh = {
  "app.loading": "正在启动…",
  "common.back": "返回",
  "common.cancel": "取消",
  "common.none": "无",
  "common.yes": "是",
  "common.no": "否",
  "common.choose": "请选择",
  "common.required": "必填",
  "common.optional": "选填",
  "common.dismiss": "关闭",
  "common.working": "处理中…",

  "sync.online": "在线",
  "sync.offline": "离线",
  "sync.unknown": "未连接",
  "sync.syncing": "同步中",
  "sync.pending": "待上传 {n} 条",
  "sync.last": "上次同步 {t}",
  "sync.never": "尚未同步",
  "sync.oldest": "最早未传 {age}前",
  "sync.now": "立即同步",
  "sync.failed": "同步失败：{e}",
  "sync.unavailable": "同步状态不可用",

  "nav.tasks": "任务",
  "nav.reviews": "待复核",
  "nav.reminders": "提醒",
  "nav.settings": "设置",

  "enrol.title": "设备注册",
  "enrol.intro": "首次使用请输入管理员提供的注册码，或粘贴注册二维码的内容。",
  "enrol.code": "注册码或二维码内容",
  "enrol.code_hint": "outpost-enrol:http://… 或 ABCD-EFGH",
  "enrol.server": "服务器地址",
  "enrol.server_hint": "例如 http://192.168.1.10:8080",
  "enrol.server_from_code": "服务器：{s}",
  "enrol.label": "设备名称",
  "enrol.label_hint": "例如 张三的手机",
  "enrol.pin": "设置 6 位数字 PIN",
  "enrol.pin_confirm": "再次输入 PIN",
  "enrol.pin_note": "PIN 用于离线解锁本应用并保护本机数据，请牢记。",
  "enrol.submit": "注册",
  "enrol.err.code_required": "请输入注册码或二维码内容",
  "enrol.err.payload_incomplete": "二维码内容不完整，请重新复制",
  "enrol.err.server_required": "请输入服务器地址",
  "enrol.err.server_invalid": "服务器地址应以 http:// 或 https:// 开头",
  "enrol.err.label_required": "请输入设备名称",
  "enrol.err.pin_format": "PIN 须为 6 位数字",
  "enrol.err.pin_mismatch": "两次输入的 PIN 不一致",

  "unlock.title": "解锁",
  "unlock.pin": "请输入 6 位 PIN",
  "unlock.submit": "解锁",
  "unlock.err.pin_format": "PIN 须为 6 位数字",

  "tab.unclaimed": "待认领",
  "tab.claimed": "已认领待反馈",
  "tab.answered": "已反馈",
  "tasks.program": "项目",
  "tasks.overdue": "超时 {n}",
  "tasks.search": "搜索姓名、手机尾号、身份证号",
  "tasks.empty": "暂无人员",
  "tasks.select_all": "全选本任务",
  "tasks.claim": "认领所选（{n}）",
  "tasks.claimed_ok": "已认领 {n} 人",
  "tasks.batch": "批次 {b}",
  "tasks.dispatched": "派发于 {t}",
  "tasks.persons": "{n} 人",
  "tasks.no_program": "当前账号没有可用的项目",
  "tasks.select_person": "选择 {name}",
  "deadline.left": "剩余 {t}",
  "deadline.overdue": "已超时 {t}",
  "deadline.due": "截止 {t}",
  "row.needs_review": "待复核",
  "row.report_cdc": "需报区疾控",

  "person.title": "人员详情",
  "person.status": "状态",
  "person.unit": "所属单位",
  "person.batch": "批次号",
  "person.fields": "基本信息",
  "person.answer": "反馈结果",
  "person.note": "备注",
  "person.history": "处理记录",
  "person.reviews": "待复核",
  "person.version": "版本 {n}",
  "person.conflicting": "多台设备同时修改，各版本：",
  "person.supplementary_of": "补充人员，来源记录：{id}",
  "person.claim": "认领",
  "person.claim_ok": "已认领",
  "person.no_history": "暂无记录",
  "person.actions": "操作",

  "answer.title": "反馈核查情况",
  "answer.outcome": "核查结果",
  "answer.level": "第 {n} 级",
  "answer.door_magnet": "门磁是否安装",
  "answer.forward_to": "转发至（实际居住地社区）",
  "answer.report_cdc": "请向区疾控报告",
  "answer.report_cdc_detail": "登记后须通过电话、短信等方式及时向区疾控反馈此类人员。",
  "answer.submit": "提交反馈",
  "answer.ok": "反馈已保存",
  "answer.err.choose_outcome": "请选择核查结果",
  "answer.err.choose_next_level": "请继续选择下一级",
  "answer.err.note_required": "请填写备注",
  "answer.err.forward_target_required": "请选择转发的目标社区",
  "answer.err.door_magnet_required": "请选择门磁是否安装",

  "level.town": "镇街",
  "level.community": "社区",
  "level.other": "单位",
  "reassign.title": "修改所属{level}",
  "reassign.to": "新的所属{level}",
  "reassign.reason": "原因",
  "reassign.submit": "确认修改",
  "reassign.ok": "已修改，将生成新任务派发至新的{level}",
  "reassign.err.unit": "请选择新的所属{level}",

  "forward.title": "转发",
  "forward.to": "转发至{level}",
  "forward.note": "说明",
  "forward.submit": "确认转发",
  "forward.ok": "已转发",
  "forward.err.unit": "请选择转发的目标{level}",

  "correct.title": "修改个人信息",
  "correct.submit": "保存修改",
  "correct.nothing": "没有修改任何信息",
  "correct.ok": "修改已保存",

  "supp.title": "补充人员",
  "supp.intro": "发现同住人员或陪护人员不在名单中时添加，提交后等待区疾控判定。",
  "supp.submit": "保存补充人员",
  "supp.ok": "已添加补充人员，等待区疾控判定",
  "supp.err.required": "请填写：{fields}",

  "reviews.title": "待复核",
  "reviews.intro": "以下记录在多台设备上有相互冲突的修改，系统已按规则选定一个版本，请核对。",
  "reviews.empty": "没有需要复核的记录",
  "reviews.open": "查看人员",

  "reminders.title": "到期提醒",
  "reminders.banner": "{n} 个任务即将到期或已超时",
  "reminders.empty": "暂无到期提醒",
  "reminders.persons": "{n} 人",

  "settings.title": "设置",
  "settings.lang": "语言",
  "settings.lock": "锁定",
  "settings.user": "用户",
  "settings.role": "角色",
  "settings.unit": "单位",
  "settings.device": "设备名称",
  "settings.server": "服务器",
  "settings.programs": "项目",

  "age.just_now": "刚刚",
  "age.minutes": "{m} 分钟",
  "age.hours": "{h} 小时 {m} 分",
  "age.days": "{d} 天",

  "error.title": "出错了",
  "scan.sources_browser": "此页面在浏览器中运行：可用扫码枪扫描",
  "scan.sources_unknown": "读卡器状态不可用",
  "scan.nfc_unavailable": "NFC 读卡器不可用：{e}",
  "scan.nfc_readers": "NFC 读卡器已连接：{r}",
  "scan.nfc_no_reader": "未连接 NFC 读卡器（可用扫码枪或摄像头）",
  "scan.camera_open": "摄像头扫码",
  "scan.camera_close": "关闭摄像头",
  "scan.camera_unavailable": "摄像头不可用",
} as const;

export type Key = keyof typeof zh;

const en: Record<Key, string> = {
  "app.loading": "Starting…",
  "common.back": "Back",
  "common.cancel": "Cancel",
  "common.none": "None",
  "common.yes": "Yes",
  "common.no": "No",
  "common.choose": "Choose…",
  "common.required": "required",
  "common.optional": "optional",
  "common.dismiss": "Dismiss",
  "common.working": "Working…",

  "sync.online": "Online",
  "sync.offline": "Offline",
  "sync.unknown": "Not connected",
  "sync.syncing": "Syncing",
  "sync.pending": "{n} to upload",
  "sync.last": "Last sync {t}",
  "sync.never": "Never synced",
  "sync.oldest": "oldest {age} ago",
  "sync.now": "Sync now",
  "sync.failed": "Sync failed: {e}",
  "sync.unavailable": "Sync status unavailable",

  "nav.tasks": "Tasks",
  "nav.reviews": "Review",
  "nav.reminders": "Reminders",
  "nav.settings": "Settings",

  "enrol.title": "Enrol this device",
  "enrol.intro": "Enter the enrolment code from your administrator, or paste the enrolment QR code's text.",
  "enrol.code": "Enrolment code or QR text",
  "enrol.code_hint": "outpost-enrol:http://… or ABCD-EFGH",
  "enrol.server": "Server address",
  "enrol.server_hint": "e.g. http://192.168.1.10:8080",
  "enrol.server_from_code": "Server: {s}",
  "enrol.label": "Device name",
  "enrol.label_hint": "e.g. Zhang San's phone",
  "enrol.pin": "Choose a 6-digit PIN",
  "enrol.pin_confirm": "Repeat the PIN",
  "enrol.pin_note": "The PIN unlocks the app offline and protects the data on this device. Remember it.",
  "enrol.submit": "Enrol",
  "enrol.err.code_required": "Enter the enrolment code or the QR code's text",
  "enrol.err.payload_incomplete": "The QR code text is incomplete; copy it again",
  "enrol.err.server_required": "Enter the server address",
  "enrol.err.server_invalid": "The server address must start with http:// or https://",
  "enrol.err.label_required": "Enter a device name",
  "enrol.err.pin_format": "The PIN must be 6 digits",
  "enrol.err.pin_mismatch": "The two PINs differ",

  "unlock.title": "Unlock",
  "unlock.pin": "Enter your 6-digit PIN",
  "unlock.submit": "Unlock",
  "unlock.err.pin_format": "The PIN must be 6 digits",

  "tab.unclaimed": "To claim",
  "tab.claimed": "Claimed, to answer",
  "tab.answered": "Answered",
  "tasks.program": "Program",
  "tasks.overdue": "{n} overdue",
  "tasks.search": "Search name, phone tail, ID number",
  "tasks.empty": "No one here",
  "tasks.select_all": "Select the whole task",
  "tasks.claim": "Claim selected ({n})",
  "tasks.claimed_ok": "Claimed {n}",
  "tasks.batch": "Batch {b}",
  "tasks.dispatched": "Dispatched {t}",
  "tasks.persons": "Persons: {n}",
  "tasks.no_program": "This account has no program",
  "tasks.select_person": "Select {name}",
  "deadline.left": "{t} left",
  "deadline.overdue": "Overdue {t}",
  "deadline.due": "due {t}",
  "row.needs_review": "Needs review",
  "row.report_cdc": "Report to CDC",

  "person.title": "Person",
  "person.status": "Status",
  "person.unit": "Unit",
  "person.batch": "Batch number",
  "person.fields": "Details",
  "person.answer": "Answer",
  "person.note": "Note",
  "person.history": "History",
  "person.reviews": "Needs review",
  "person.version": "Version {n}",
  "person.conflicting": "Edited on several devices at once; every value:",
  "person.supplementary_of": "Supplementary person, from record {id}",
  "person.claim": "Claim",
  "person.claim_ok": "Claimed",
  "person.no_history": "Nothing yet",
  "person.actions": "Actions",

  "answer.title": "Answer",
  "answer.outcome": "Outcome",
  "answer.level": "Level {n}",
  "answer.door_magnet": "Door magnet installed",
  "answer.forward_to": "Forward to (community where the person lives)",
  "answer.report_cdc": "Report to the district CDC",
  "answer.report_cdc_detail": "After saving, report this person to the district CDC by phone or text message.",
  "answer.submit": "Submit answer",
  "answer.ok": "Answer saved",
  "answer.err.choose_outcome": "Choose an outcome",
  "answer.err.choose_next_level": "Choose the next level",
  "answer.err.note_required": "Write a note",
  "answer.err.forward_target_required": "Choose the community to forward to",
  "answer.err.door_magnet_required": "Say whether a door magnet is installed",

  "level.town": "town",
  "level.community": "community",
  "level.other": "unit",
  "reassign.title": "Change {level}",
  "reassign.to": "New {level}",
  "reassign.reason": "Reason",
  "reassign.submit": "Change",
  "reassign.ok": "Changed: a new task goes to the new {level}",
  "reassign.err.unit": "Choose the new {level}",

  "forward.title": "Forward",
  "forward.to": "Forward to {level}",
  "forward.note": "Note",
  "forward.submit": "Forward",
  "forward.ok": "Forwarded",
  "forward.err.unit": "Choose the {level} to forward to",

  "correct.title": "Correct personal data",
  "correct.submit": "Save corrections",
  "correct.nothing": "Nothing was changed",
  "correct.ok": "Corrections saved",

  "supp.title": "Supplementary person",
  "supp.intro": "Add a cohabitant or companion missing from the list; the district CDC decides on them.",
  "supp.submit": "Save supplementary person",
  "supp.ok": "Supplementary person added, awaiting the CDC's judgement",
  "supp.err.required": "Fill in: {fields}",

  "reviews.title": "Needs review",
  "reviews.intro": "These records had conflicting edits on several devices. A version was chosen by rule; please check it.",
  "reviews.empty": "Nothing needs review",
  "reviews.open": "Open person",

  "reminders.title": "Reminders",
  "reminders.banner": "Tasks due soon or overdue: {n}",
  "reminders.empty": "Nothing due",
  "reminders.persons": "Persons: {n}",

  "settings.title": "Settings",
  "settings.lang": "Language",
  "settings.lock": "Lock",
  "settings.user": "User",
  "settings.role": "Role",
  "settings.unit": "Unit",
  "settings.device": "Device name",
  "settings.server": "Server",
  "settings.programs": "Programs",

  "age.just_now": "just now",
  "age.minutes": "{m} min",
  "age.hours": "{h} h {m} min",
  "age.days": "{d} days",

  "error.title": "Error",
  "scan.sources_browser": "Running in a browser: use a USB barcode scanner",
  "scan.sources_unknown": "Reader status unavailable",
  "scan.nfc_unavailable": "NFC readers unavailable: {e}",
  "scan.nfc_readers": "NFC reader connected: {r}",
  "scan.nfc_no_reader": "No NFC reader connected (use a barcode scanner or the camera)",
  "scan.camera_open": "Scan with camera",
  "scan.camera_close": "Close camera",
  "scan.camera_unavailable": "Camera unavailable",
};

export const DICTIONARY: Record<Lang, Record<Key, string>> = { "zh-CN": zh, en };

export const LANGS: { lang: Lang; name: string }[] = [
  { lang: "zh-CN", name: "中文" },
  { lang: "en", name: "English" },
];

export type Params = Record<string, string | number>;

/** The string for `key` in `lang`, with `{name}` placeholders filled from `params`. */
export function translate(lang: Lang, key: Key, params: Params = {}): string {
  const template = DICTIONARY[lang][key] ?? DICTIONARY["zh-CN"][key] ?? key;
  return template.replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in params ? String(params[name]) : whole,
  );
}

let current: Lang = "zh-CN";

/** The UI's language; follows AppStatus.lang. */
export function setCurrentLang(lang: Lang): void {
  current = lang === "en" ? "en" : "zh-CN";
}

export function currentLang(): Lang {
  return current;
}

/** `translate` in the current language. */
export function t(key: Key, params: Params = {}): string {
  return translate(current, key, params);
}
