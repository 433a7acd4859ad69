package server

import (
	"embed"
	"io/fs"
	"net/http"

	"github.com/licet/licet/internal/httpserve"
)

// consoleFiles is the vendor console: one HTML page, its script and its
// style sheet, served from this binary (no outside assets).
//
//go:embed console/index.html console/console.js console/console.css
var consoleFiles embed.FS

// ConsoleCSP is the Content-Security-Policy of the vendor console: only
// its own script, style and API, no inline code, no framing.
const ConsoleCSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

// registerConsole serves the vendor console at / (the page) and under
// /console/ (its script and style sheet). The page calls the API under
// /v1 with a token the user pastes; it holds no secret itself.
func (s *Server) registerConsole(hs *httpserve.Server) {
	sub, err := fs.Sub(consoleFiles, "console")
	if err != nil {
		panic(err) // the embedded directory exists at build time
	}
	hs.Mux().Handle("GET /{$}", consoleHeaders(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.ServeFileFS(w, r, sub, "index.html")
	})))
	hs.Mux().Handle("GET /console/{file}", consoleHeaders(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch f := r.PathValue("file"); f {
		case "console.js", "console.css":
			http.ServeFileFS(w, r, sub, f)
		default:
			httpserve.WriteProblem(w, httpserve.NewProblem(http.StatusNotFound, httpserve.CodeNotFound, "the console has no file %q", f))
		}
	})))
}

// consoleHeaders sets the console's security headers on every response.
func consoleHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", ConsoleCSP)
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "no-referrer")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Cache-Control", "no-store")
		h.ServeHTTP(w, r)
	})
}
