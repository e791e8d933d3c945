package ingest

// TruncateForTest lets the external tests reach truncate.
var TruncateForTest = truncate

// SetSearchIndexing turns the search index (searchable text, frustration
// signals) on or off, for the ingest benchmark's baseline.
func SetSearchIndexing(in *Ingester, on bool) { in.noSearch = !on }

// AssetURLs returns the asset URLs of b as prepare takes them: found while
// parsing when ParseOptions.FindAssets was set, else looked for now.
func AssetURLs(b *Batch) []string { return assetURLs(b) }

// Unscrubbed returns the payload of b's event i as the page sent it.
func Unscrubbed(b *Batch, i int) []byte { return b.Events[i].unscrubbedPayload() }
