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
