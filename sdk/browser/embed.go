// Package browser embeds the built browser SDK. Sources are in src/;
// `npm run build` writes dist/, which is committed so that building Playhead
// needs only Go.
package browser

import _ "embed"

// IIFE is the SDK bundle a page loads with a <script> tag; Playhead serves it
// at /sdk.js.
//
//go:embed dist/playhead.iife.js
var IIFE []byte

// ReportIIFE is the bug report widget, which the SDK loads on demand from
// `${endpoint}/sdk-report.js` (Playhead.openReport(), or init({feedback: true})).
// It is kept out of IIFE to keep the recording bundle small.
//
//go:embed dist/playhead-report.js
var ReportIIFE []byte
