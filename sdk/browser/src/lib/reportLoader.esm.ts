import type { ReportUI } from '../report/contract';

let loading: Promise<ReportUI> | undefined;

/**
 * The npm build's widget loader, swapped in for reportLoader.ts by build.mjs:
 * a dynamic import of dist/report.mjs, which the app's bundler turns into a
 * chunk of its own, loaded the first time the widget is needed.
 */
export function loadReportUI(): Promise<ReportUI> {
  // @ts-expect-error dist/report.mjs is built next to dist/index.mjs, the module this file ends up in
  return (loading ??= (import('./report.mjs') as Promise<ReportUI>).catch((error: unknown) => {
    loading = undefined; // try again next time
    throw error;
  }));
}
