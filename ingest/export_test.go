package ingest

// TruncateForTest lets the external tests reach truncate.
var TruncateForTest = truncate

// SetSearchIndexing turns the search index (searchable text, frustration
// signals) on or off, for the ingest benchmark's baseline.
func SetSearchIndexing(in *Ingester, on bool) { in.noSearch = !on }
