package playhead

// Role is a stand-in until roles land.
type Role string
