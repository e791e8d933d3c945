import { REPORT_GLOBAL, type ReportUI } from '../report/contract';

let loading: Promise<ReportUI> | undefined;

/**
 * Loads the report widget, once: the script build of the SDK fetches it from
 * the Playhead server (`${endpoint}/sdk-report.js`), so that it is not part of
 * the recording bundle. (The npm build imports dist/report.mjs instead: see
 * reportLoader.esm.ts.)
 */
export function loadReportUI(endpoint: string): Promise<ReportUI> {
  return (loading ??= new Promise<ReportUI>((resolve, reject) => {
    const ui = (): ReportUI | undefined => (window as unknown as Record<string, ReportUI | undefined>)[REPORT_GLOBAL];
    if (ui()) return resolve(ui()!);
    const script = document.createElement('script');
    script.src = endpoint + '/sdk-report.js';
    script.onload = script.onerror = () => {
      if (ui()) return resolve(ui()!);
      loading = undefined; // try again next time
      reject(new Error('[playhead] could not load ' + script.src));
    };
    document.head.appendChild(script);
  }));
}
