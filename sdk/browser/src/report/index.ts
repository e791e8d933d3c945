// Entry of dist/report.mjs, the ES module build of the report widget, which
// dist/index.mjs imports on demand: a ReportUI as named exports.
export { open, mount, unmount } from './ui';
