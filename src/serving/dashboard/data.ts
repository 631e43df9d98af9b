/** What the dashboard shows, read from the store only: versions with their monitoring numbers, and every verdict. */
import { versionMetrics, type MonitoringStore } from '../../store/monitoring';
import type { HistoryEntry, Routing, Store, VersionMetrics } from '../../store/types';
import type { CycleProgress } from '../../temporal/cycle-progress';

export interface TaskView {
  task: string;
  routing: Routing;
  /** Oldest first (see `versionMetrics`). */
  versions: VersionMetrics[];
  /** Moves of `active` and `canary`, newest first: promotions, rollbacks, canary starts and verdicts, with reasons. */
  verdicts: HistoryEntry[];
  /** The running cycle's stage and progress, from Temporal (the route adds it; absent without one). */
  progress?: CycleProgress | null;
}

export type DashboardStore = MonitoringStore & Pick<Store, 'listTasks' | 'registryHistory'>;

export async function taskView(store: DashboardStore, task: string): Promise<TaskView> {
  const [versions, routing, history] = await Promise.all([versionMetrics(store, task), store.routing(task), store.registryHistory(task)]);
  const verdicts = history.filter((e) => e.pointer === 'active' || e.pointer === 'canary').reverse();
  return { task, routing, versions, verdicts };
}

export async function dashboardData(store: DashboardStore): Promise<TaskView[]> {
  const tasks = await store.listTasks();
  return Promise.all(tasks.map((task) => taskView(store, task)));
}
