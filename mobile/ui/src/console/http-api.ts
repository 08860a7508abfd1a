// `ConsoleApi` over HTTP (the browser's console): fetch to the sync server's /console/api/ and
// /admin/…, with the console session's token as the bearer credential — also for the
// administrator, who signs in with the admin token once and then holds a revocable session like
// everyone else: the admin token is sent once, at sign-in, and never kept. Every method rejects
// with a `ConsoleError`, never a bare string.

import {
  type Batch,
  type ConsoleApi,
  type ConsoleError,
  type DeadlineSettings,
  type Device,
  type DeviceHealth,
  type Exported,
  type Feed,
  type Filter,
  type Flow,
  type ImportOutcome,
  type IssuedCode,
  type JurisdictionTree,
  type Lang,
  type Lockouts,
  type Me,
  type NewUser,
  type NotificationOverlay,
  type NotificationSettings,
  type PersonDetail,
  type ProgramSettings,
  type ProgressPoint,
  type QuarantinedRecord,
  type ResultsPage,
  type Session,
  type TaskSummary,
  type TownCounts,
  type UnitEntry,
  type User,
} from "./api.js";

/** The query string of a filter, blank values left out. */
export function filterQuery(filter: Filter, extra: Record<string, string> = {}): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries({ ...filter, ...extra })) {
    if (value === undefined || value === null || value === "") continue;
    params.set(key, String(value));
  }
  return params.toString();
}

function langParam(lang: Lang): string {
  return lang === "en" ? "en" : "zh";
}

/** The console over HTTP to the sync server it was loaded from. */
export class HttpConsoleApi implements ConsoleApi {
  private token: string | null;

  constructor(
    private readonly base: string,
    private readonly lang: () => Lang,
    token: string | null = null,
  ) {
    this.token = token;
  }

  get sessionToken(): string | null {
    return this.token;
  }

  private async request(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.token) headers.set("Authorization", `Bearer ${this.token}`);
    let response: Response;
    try {
      response = await fetch(`${this.base}${path}`, { ...init, headers });
    } catch {
      throw {
        status: 0,
        code: "server_unreachable",
        message: this.lang() === "en" ? "The server cannot be reached" : "无法连接服务器",
      } satisfies ConsoleError;
    }
    if (!response.ok) throw await this.error(response);
    return response;
  }

  private async error(response: Response): Promise<ConsoleError> {
    let code = "http_error";
    let message = `HTTP ${response.status}`;
    try {
      const body = (await response.json()) as { error?: string; message?: string; message_zh?: string };
      code = body.error ?? code;
      message = (this.lang() === "en" ? body.message : body.message_zh ?? body.message) ?? message;
    } catch {
      // Not JSON: keep the status line.
    }
    return { status: response.status, code, message };
  }

  private async json<T>(path: string, init: RequestInit = {}): Promise<T> {
    return (await (await this.request(path, init)).json()) as T;
  }

  async signIn(credential: { code: string } | { admin_token: string }): Promise<Session> {
    const session = await this.json<Session>("/console/api/session", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(credential),
    });
    // Only the session's token is kept, whoever signed in (the server accepts an administrator's
    // session wherever the admin token is accepted).
    this.token = session.token;
    return session;
  }

  async signOut(): Promise<void> {
    try {
      await this.request("/console/api/session", { method: "DELETE" });
    } finally {
      this.token = null;
    }
  }

  me(): Promise<Me> {
    return this.json("/console/api/me");
  }

  results(filter: Filter, lang: Lang): Promise<ResultsPage> {
    return this.json(`/console/api/results?${filterQuery(filter, { lang: langParam(lang) })}`);
  }

  async exportResults(filter: Filter, lang: Lang): Promise<Exported> {
    const { offset: _offset, limit: _limit, ...all } = filter;
    const response = await this.request(`/console/api/results.xlsx?${filterQuery(all, { lang: langParam(lang) })}`);
    return { blob: await response.blob() };
  }

  person(id: string, lang: Lang): Promise<PersonDetail> {
    return this.json(`/console/api/people/${encodeURIComponent(id)}?lang=${langParam(lang)}`);
  }

  towns(program: string, batch: string): Promise<TownCounts[]> {
    return this.json(`/console/api/towns?${filterQuery({ program, batch })}`);
  }

  progress(program: string, batch: string): Promise<ProgressPoint[]> {
    return this.json(`/console/api/progress?${filterQuery({ program, batch })}`);
  }

  alerts(sinceMs: number | null): Promise<Feed> {
    return this.json(`/console/api/alerts${sinceMs === null ? "" : `?since_ms=${sinceMs}`}`);
  }

  tasks(program: string, batch: string): Promise<TaskSummary[]> {
    return this.json(`/console/api/tasks?${filterQuery({ program, batch })}`);
  }

  flow(task: string): Promise<Flow> {
    return this.json(`/console/api/flow?task=${encodeURIComponent(task)}`);
  }

  devices(): Promise<DeviceHealth[]> {
    return this.json("/console/api/devices");
  }

  batches(): Promise<Batch[]> {
    return this.json("/console/api/batches");
  }

  importList(program: string, file: File): Promise<ImportOutcome> {
    const query = new URLSearchParams({ program, file_name: file.name });
    return this.json(`/admin/imports?${query.toString()}`, { method: "POST", body: file });
  }

  async template(program: string): Promise<Blob> {
    return (await this.request(`/admin/programs/${encodeURIComponent(program)}/template`)).blob();
  }

  async failures(url: string): Promise<Blob> {
    return (await this.request(url)).blob();
  }

  users(): Promise<User[]> {
    return this.json("/admin/users");
  }

  createUser(user: NewUser): Promise<User> {
    return this.json("/admin/users", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(user),
    });
  }

  issueCode(userId: string): Promise<IssuedCode> {
    return this.json(`/admin/users/${encodeURIComponent(userId)}/enrolment-codes`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: "{}",
    });
  }

  adminDevices(): Promise<Device[]> {
    return this.json("/admin/devices");
  }

  async revokeDevice(deviceId: string): Promise<void> {
    await this.request(`/admin/devices/${encodeURIComponent(deviceId)}/revoke`, { method: "POST" });
  }

  jurisdictions(search: string): Promise<JurisdictionTree> {
    const query = search.trim() === "" ? "" : `?search=${encodeURIComponent(search.trim())}`;
    return this.json(`/console/api/admin/jurisdictions${query}`);
  }

  addUnit(entry: UnitEntry): Promise<JurisdictionTree> {
    return this.json("/console/api/admin/jurisdictions", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(entry),
    });
  }

  renameUnit(entry: UnitEntry): Promise<JurisdictionTree> {
    const { name, name_en, aliases } = entry;
    return this.json(`/console/api/admin/jurisdictions/${encodeURIComponent(entry.code)}`, {
      method: "PUT",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ name, name_en, aliases }),
    });
  }

  withdrawUnit(code: string): Promise<JurisdictionTree> {
    return this.json(`/console/api/admin/jurisdictions/${encodeURIComponent(code)}`, { method: "DELETE" });
  }

  notifications(unit: string | null): Promise<NotificationSettings> {
    return this.json(`/console/api/admin/notifications${unit ? `?unit=${encodeURIComponent(unit)}` : ""}`);
  }

  saveNotifications(overlay: NotificationOverlay): Promise<NotificationSettings> {
    return this.json("/console/api/admin/notifications", {
      method: "PUT",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(overlay),
    });
  }

  programSettings(): Promise<ProgramSettings[]> {
    return this.json("/console/api/admin/programs");
  }

  saveDeadlines(program: string, settings: DeadlineSettings): Promise<ProgramSettings> {
    return this.json(`/console/api/admin/programs/${encodeURIComponent(program)}/deadlines`, {
      method: "PUT",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(settings),
    });
  }

  resetDeadlines(program: string): Promise<ProgramSettings> {
    return this.json(`/console/api/admin/programs/${encodeURIComponent(program)}/deadlines`, { method: "DELETE" });
  }

  lockouts(): Promise<Lockouts> {
    return this.json("/console/api/admin/lockouts");
  }

  quarantine(): Promise<{ records: QuarantinedRecord[] }> {
    return this.json("/console/api/admin/quarantine");
  }

  async liftLockout(id: string): Promise<void> {
    await this.request(`/console/api/admin/lockouts/${encodeURIComponent(id)}`, { method: "DELETE" });
  }
}
