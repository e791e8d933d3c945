// Entry of dist/playhead-report.js, the script build of the report widget
// (served at /sdk-report.js): it hands its ReportUI to the SDK through a global.
import { REPORT_GLOBAL, type ReportUI } from './contract';
import { mount, open, unmount } from './ui';

const ui: ReportUI = { open, mount, unmount };
(window as unknown as Record<string, ReportUI>)[REPORT_GLOBAL] = ui;
