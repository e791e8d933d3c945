package server

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"github.com/playhead/playhead"
	"github.com/playhead/playhead/ingest"
)

func (s *Server) handleReports(w http.ResponseWriter, r *http.Request) error {
	p, err := s.project(r.Context())
	if err != nil {
		return err
	}
	list, err := s.Webhooks.Reports(r.Context(), p.ID, 200)
	if err != nil {
		return err
	}
	for _, rep := range list {
		if rep.ContactSealed == nil {
			continue
		}
		dk, err := s.Ingester.Keys.Existing(r.Context(), p.ID, rep.SessionID)
		if err != nil {
			continue // erased meanwhile
		}
		rep.Contact, _ = ingest.OpenContact(dk, p.ID, rep.SessionID, rep.ContactSealed)
	}
	return writeJSON(w, http.StatusOK, map[string]any{"reports": list})
}

func (s *Server) handleWebhooks(w http.ResponseWriter, r *http.Request) error {
	p, err := s.project(r.Context())
	if err != nil {
		return err
	}
	list, err := s.Webhooks.Webhooks(r.Context(), p.ID)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"webhooks": list})
}

// handleCreateWebhook adds a webhook and answers its signing secret, which
// is shown this once.
func (s *Server) handleCreateWebhook(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		URL string `json:"url"`
	}
	if err := decodeJSON(r, 4096, &in); err != nil {
		return err
	}
	u, err := url.Parse(in.URL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return playhead.Errorf(playhead.EINVALID, "url: %q is not an http(s) URL", in.URL)
	}
	p, err := s.project(r.Context())
	if err != nil {
		return err
	}
	secret := make([]byte, 24)
	rand.Read(secret)
	wh := &playhead.Webhook{ProjectID: p.ID, URL: u.String(), Secret: "whsec_" + hex.EncodeToString(secret)}
	if err := s.Webhooks.CreateWebhook(r.Context(), wh); err != nil {
		return err
	}
	s.audit(r, playhead.AuditWebhookCreate, wh.URL, p.ID, map[string]any{"id": wh.ID})
	return writeJSON(w, http.StatusCreated, map[string]any{"webhook": wh, "secret": wh.Secret})
}

// webhookParam returns the dashboard's project and the webhook ID of the
// route's {id}.
func (s *Server) webhookParam(r *http.Request) (*playhead.Project, int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return nil, 0, playhead.Errorf(playhead.ENOTFOUND, "webhook %q not found", r.PathValue("id"))
	}
	p, err := s.project(r.Context())
	return p, id, err
}

func (s *Server) handleDeleteWebhook(w http.ResponseWriter, r *http.Request) error {
	p, id, err := s.webhookParam(r)
	if err != nil {
		return err
	}
	if err := s.Webhooks.DeleteWebhook(r.Context(), p.ID, id); err != nil {
		return err
	}
	s.audit(r, playhead.AuditWebhookDelete, strconv.FormatInt(id, 10), p.ID)
	return writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
}

func (s *Server) handleDeliveries(w http.ResponseWriter, r *http.Request) error {
	p, id, err := s.webhookParam(r)
	if err != nil {
		return err
	}
	hooks, err := s.Webhooks.Webhooks(r.Context(), p.ID)
	if err != nil {
		return err
	}
	if !slices.ContainsFunc(hooks, func(h *playhead.Webhook) bool { return h.ID == id }) {
		return playhead.Errorf(playhead.ENOTFOUND, "webhook %d not found", id)
	}
	list, err := s.Webhooks.Deliveries(r.Context(), p.ID, id, 100)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"deliveries": list})
}
