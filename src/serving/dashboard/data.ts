/** What the dashboard shows, read from the store only: versions, their accuracy held out and live, and every verdict. */
import type { HistoryEntry, Routing, Store, VersionServingStats } from '../../store/types';

export interface VersionView {
  versionId: string;
  createdAt: number;
  /** Pass rate of the version's latest linked evaluation report (the gate's held-out measurement). */
  heldOut: number | null;
  live: VersionServingStats | null;
  status: 'active' | 'canary' | 'rolled back' | 'served before' | 'never served';
  rolledBackReason: string | null;
}

export interface TaskView {
  task: string;
  routing: Routing;
  versions: VersionView[];
  /** Moves of `active` and `canary`, newest first: promotions, rollbacks, canary starts and verdicts, with reasons. */
  verdicts: HistoryEntry[];
}

export type DashboardStore = Pick<Store, 'listTasks' | 'versions' | 'routing' | 'registryHistory' | 'servingStats' | 'getReport'>;

export async function taskView(store: DashboardStore, task: string): Promise<TaskView> {
  const [versions, routing, history, stats] = await Promise.all([store.versions(task), store.routing(task), store.registryHistory(task), store.servingStats(task)]);
  const views = await Promise.all(
    versions.map(async (v): Promise<VersionView> => {
      const report = v.evalReportId ? await store.getReport(v.evalReportId) : null;
      const status =
        routing.active === v.versionId
          ? 'active'
          : routing.canary?.versionId === v.versionId
            ? 'canary'
            : v.rolledBack
              ? 'rolled back'
              : v.servedAt.length > 0
                ? 'served before'
                : 'never served';
      return {
        versionId: v.versionId,
        createdAt: v.createdAt,
        heldOut: report ? report.report.passRate : null,
        live: stats.find((s) => s.versionId === v.versionId) ?? null,
        status,
        rolledBackReason: v.rolledBack?.reason ?? null,
      };
    }),
  );
  const verdicts = history.filter((e) => e.pointer === 'active' || e.pointer === 'canary').reverse();
  return { task, routing, versions: views, verdicts };
}

export async function dashboardData(store: DashboardStore): Promise<TaskView[]> {
  const tasks = await store.listTasks();
  return Promise.all(tasks.map((task) => taskView(store, task)));
}
