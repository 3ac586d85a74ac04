package handlers

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"channelbot/bot"
	"channelbot/models"
)

// Admin is the admin API: price policies, behind a bearer token.
type Admin struct {
	Token  string
	Create func(ctx context.Context, d models.PolicyDraft) (id int64, targeted int, err error)
	Status func(ctx context.Context, id int64) (*models.PolicyStatus, error)
	Log    *slog.Logger
}

func (a *Admin) register(mux *http.ServeMux) {
	mux.Handle("POST /api/policies", a.auth(a.create))
	mux.Handle("GET /api/policies/{id}", a.auth(a.status))
}

// auth lets through requests with the right bearer token, compared in constant time.
func (a *Admin) auth(next http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(a.Token)) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="channelbot"`)
			writeJSONError(w, http.StatusUnauthorized, "unauthorized", nil)
			return
		}
		next(w, r)
	})
}

func (a *Admin) create(w http.ResponseWriter, r *http.Request) {
	var d models.PolicyDraft
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d); err != nil && !errors.Is(err, io.EOF) {
		writeJSONError(w, http.StatusBadRequest, "invalid JSON: "+err.Error(), nil)
		return
	}
	id, n, err := a.Create(r.Context(), d)
	var pe *models.PolicyError
	switch {
	case errors.As(err, &pe):
		writeJSONError(w, http.StatusUnprocessableEntity, "invalid policy", bot.PolicyProblems(pe))
		return
	case err != nil:
		a.Log.ErrorContext(r.Context(), "policy not created", "error", err)
		writeJSONError(w, http.StatusInternalServerError, "internal error", nil)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	_ = json.NewEncoder(w).Encode(map[string]any{"id": id, "targeted": n})
}

func (a *Admin) status(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		writeJSONError(w, http.StatusNotFound, "no such policy", nil)
		return
	}
	st, err := a.Status(r.Context(), id)
	switch {
	case errors.Is(err, models.ErrNotFound):
		writeJSONError(w, http.StatusNotFound, "no such policy", nil)
		return
	case err != nil:
		a.Log.ErrorContext(r.Context(), "policy status failed", "error", err)
		writeJSONError(w, http.StatusInternalServerError, "internal error", nil)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(st)
}

func writeJSONError(w http.ResponseWriter, code int, msg string, problems []string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	body := map[string]any{"error": msg}
	if len(problems) > 0 {
		body["problems"] = problems
	}
	_ = json.NewEncoder(w).Encode(body)
}
