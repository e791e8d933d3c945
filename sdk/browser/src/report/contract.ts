/**
 * The contract between the SDK and the report widget, which is built and
 * loaded separately (dist/playhead-report.js, served at /sdk-report.js, or
 * dist/report.mjs for the npm build). Keep it stable: a page may run an SDK
 * and a widget of different versions.
 */

/**
 * The payload of the `playhead.report` event. The widget masks `text` (PII,
 * secrets) and redacts `url` before it sends them; `email` is the user's
 * chosen contact and is sent as typed.
 */
export interface Report {
  text: string;
  email?: string;
  url: string;
}

/** What the SDK gives the widget. */
export interface ReportHost {
  /** Sends a report with the session at once; false when nothing is recording, so it cannot be sent. */
  send(report: Report): boolean;
}

/** What the widget gives the SDK. */
export interface ReportUI {
  /** Opens the report dialog. */
  open(host: ReportHost): void;
  /** Shows the floating "Report a problem" button, which opens the dialog. */
  mount(host: ReportHost): void;
  /** Removes the button and the dialog. */
  unmount(): void;
}

/** The global the script build of the widget sets to its ReportUI. */
export const REPORT_GLOBAL = '__playheadReportUI';
