package ingest

// TruncateForTest lets the external tests reach truncate.
var TruncateForTest = truncate
