package rrdom

// rrweb records a <dialog> shown with show() or showModal() as its open
// attribute and rr_open_mode ("modal" or "non-modal"), and its replayer
// opens the replayed dialog the same way (applyDialogToTopLevel). Closing one
// it records as the open attribute removed, which the replayer applies by
// removing the attribute: a modal dialog then stays modal, out of sight,
// and keeps the rest of its page inert. The tree keeps that flag so that a
// keyframe puts such a dialog back in the same state.

// isDialog reports whether the replayer treats n as a dialog.
func (n *Node) isDialog() bool { return n.isTag("dialog") }

// applyDialog is the replayer's applyDialogToTopLevel; mutation holds the
// attribute mutation that led to it, if one did.
func (t *Tree) applyDialog(n *Node, mutation []attr) {
	if !n.isDialog() || !t.attached(n) {
		return
	}
	_, oldOpen := n.Attributes["open"]
	oldModal := oldOpen && n.st != nil && n.st.modal
	mode := n.Attributes["rr_open_mode"]
	newOpen := oldOpen
	for _, a := range mutation {
		if a.name == "open" && a.isString() {
			newOpen = true
		}
	}
	newModal, newNonModal := mode == "modal", mode == "non-modal"
	changed := oldModal && newNonModal || !oldModal && newModal
	if oldOpen && !changed {
		return
	}
	if oldOpen { // close()
		n.removeAttr("open")
		n.state().modal = false
	}
	if !newOpen {
		return
	}
	if !n.hasAttr("open") {
		n.setAttr("open", "")
	}
	n.state().modal = newModal // showModal() or show()
}

func (n *Node) hasAttr(name string) bool {
	_, ok := n.Attributes[name]
	return ok
}

// applyDialogs runs applyDialog on the dialogs under n, as the replayer
// does on those a full snapshot (or an iframe's document) builds.
func (t *Tree) applyDialogs(n *Node) {
	if n.isDialog() {
		t.applyDialog(n, nil)
	}
	for _, c := range n.Children {
		if c.Type != Document {
			t.applyDialogs(c)
		}
	}
}

// stuckModal reports whether n is a modal dialog closed by removing its
// open attribute: out of sight, still modal.
func (n *Node) stuckModal() bool {
	return n.isDialog() && n.st != nil && n.st.modal && !n.hasAttr("open")
}
