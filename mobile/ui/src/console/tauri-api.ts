// The console inside the desktop app (离线控制台): `ConsoleApi` over the app's own commands
// (mobile/src-tauri/src/console.rs), which answer from the local replica of the user's
// jurisdiction with the same shapes as the server's /console/api/. No sign-in: the app is
// already unlocked with the worker's PIN, and the viewer is the device's user. What only the
// server can do — imports, users and devices, notification and deadline settings — rejects with
// `needs_server`, and the shell leaves those views out of the navigation.

import {
  type Batch,
  type ConsoleApi,
  type ConsoleError,
  type DeviceHealth,
  type Exported,
  type Feed,
  type Filter,
  type Flow,
  type Lang,
  type Me,
  type PersonDetail,
  type ProgressPoint,
  type ResultsPage,
  type Session,
  type TaskSummary,
  type TownCounts,
} from "./api.js";

type Invoke = (cmd: string, args?: Record<string, unknown>) => Promise<unknown>;

/** The app's command bridge, or null in a plain browser. */
export function tauriInvoke(): Invoke | null {
  const tauri = (window as unknown as { __TAURI__?: { core?: { invoke?: Invoke } } }).__TAURI__;
  return tauri?.core?.invoke ?? null;
}

/** HTTP-like statuses for the app's error codes, so views treat both consoles alike. */
const STATUS_OF: Record<string, number> = {
  locked: 401,
  not_enrolled: 401,
  not_found: 404,
  bad_input: 400,
  not_allowed: 403,
};

function toConsoleError(reason: unknown): ConsoleError {
  if (typeof reason === "object" && reason !== null && "code" in reason && "message" in reason) {
    const { code, message } = reason as { code: unknown; message: unknown };
    const text = String(code);
    return { status: STATUS_OF[text] ?? 500, code: text, message: String(message) };
  }
  return { status: 500, code: "internal", message: String(reason) };
}

export class TauriConsoleApi implements ConsoleApi {
  constructor(
    private readonly invoke: Invoke,
    private readonly lang: () => Lang,
  ) {}

  private async call<T>(cmd: string, args?: Record<string, unknown>): Promise<T> {
    try {
      return (await this.invoke(cmd, args)) as T;
    } catch (reason) {
      throw toConsoleError(reason);
    }
  }

  private needsServer(): Promise<never> {
    return Promise.reject({
      status: 0,
      code: "needs_server",
      message:
        this.lang() === "en"
          ? "This needs the server: open the web console in a browser on an office PC"
          : "此功能需要连接服务器：请在办公电脑的浏览器中打开网页控制台",
    } satisfies ConsoleError);
  }

  async signIn(): Promise<Session> {
    const me = await this.me();
    return { token: "local", viewer: me.viewer };
  }

  async signOut(): Promise<void> {
    // Nothing to end: the app's own lock is the session.
  }

  me(): Promise<Me> {
    return this.call("console_me");
  }

  results(filter: Filter, lang: Lang): Promise<ResultsPage> {
    return this.call("console_results", { input: { ...filter, lang: lang === "en" ? "en" : "zh" } });
  }

  async exportResults(filter: Filter, lang: Lang): Promise<Exported> {
    const { offset: _offset, limit: _limit, ...all } = filter;
    const saved_to = await this.call<string>("console_export", {
      input: { ...all, lang: lang === "en" ? "en" : "zh" },
    });
    return { saved_to };
  }

  person(id: string, lang: Lang): Promise<PersonDetail> {
    return this.call("console_person", { input: { id, lang } });
  }

  towns(program: string, batch: string): Promise<TownCounts[]> {
    return this.call("console_towns", { input: { program, batch } });
  }

  progress(program: string, batch: string): Promise<ProgressPoint[]> {
    return this.call("console_progress", { input: { program, batch } });
  }

  alerts(sinceMs: number | null): Promise<Feed> {
    return this.call("console_alerts", { input: { since_ms: sinceMs } });
  }

  tasks(program: string, batch: string): Promise<TaskSummary[]> {
    return this.call("console_tasks", { input: { program, batch } });
  }

  flow(task: string): Promise<Flow> {
    return this.call("console_flow", { input: { task } });
  }

  devices(): Promise<DeviceHealth[]> {
    return this.call("console_devices");
  }

  batches(): Promise<Batch[]> {
    return this.call("console_batches");
  }

  importList = (): Promise<never> => this.needsServer();
  failures = (): Promise<never> => this.needsServer();
  template = (): Promise<never> => this.needsServer();
  users = (): Promise<never> => this.needsServer();
  createUser = (): Promise<never> => this.needsServer();
  issueCode = (): Promise<never> => this.needsServer();
  adminDevices = (): Promise<never> => this.needsServer();
  revokeDevice = (): Promise<never> => this.needsServer();
  jurisdictions = (): Promise<never> => this.needsServer();
  addUnit = (): Promise<never> => this.needsServer();
  renameUnit = (): Promise<never> => this.needsServer();
  withdrawUnit = (): Promise<never> => this.needsServer();
  notifications = (): Promise<never> => this.needsServer();
  saveNotifications = (): Promise<never> => this.needsServer();
  programSettings = (): Promise<never> => this.needsServer();
  saveDeadlines = (): Promise<never> => this.needsServer();
  resetDeadlines = (): Promise<never> => this.needsServer();
  lockouts = (): Promise<never> => this.needsServer();
  liftLockout = (): Promise<never> => this.needsServer();
  quarantine = (): Promise<never> => this.needsServer();
}
