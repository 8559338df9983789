// main.go: a Go net/http server for the capture e2e tests (tests/e2e/cases_capture.py).
//
// Usage: goserver ADDR ACCESS_LOG. Every request is logged after its response has been written,
// one line "METHOD PATH STATUS BODY_BYTES", the ground truth the spans are compared with.
package main

import (
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"
)

type logWriter struct {
	http.ResponseWriter
	status int
	n      int
}

func (w *logWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

func (w *logWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = 200
	}
	n, err := w.ResponseWriter.Write(b)
	w.n += n
	return n, err
}

func (w *logWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// padHeaders makes the response head about 750 bytes long, as real servers' heads are.
func padHeaders(w http.ResponseWriter) {
	for i := 0; i < 10; i++ {
		w.Header().Set(fmt.Sprintf("X-Pad-%d", i), strings.Repeat("p", 56))
	}
}

func handle(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	switch {
	case strings.HasPrefix(p, "/k/"):
		w.Write([]byte("hello world\n"))
	case p == "/long/cl":
		padHeaders(w)
		w.Write([]byte(strings.Repeat("b", 5000)))
	case p == "/long/chunked":
		padHeaders(w)
		for i := 0; i < 3; i++ {
			w.Write([]byte("chunk-" + fmt.Sprint(i) + "\n"))
			w.(http.Flusher).Flush()
		}
	case p == "/long/204":
		padHeaders(w)
		w.WriteHeader(204)
	case p == "/long/304":
		padHeaders(w)
		w.WriteHeader(304)
	case p == "/stream":
		for i := 0; i < 3; i++ {
			if i > 0 {
				time.Sleep(500 * time.Millisecond)
			}
			w.Write([]byte(fmt.Sprintf("part %d of the stream\n", i)))
			w.(http.Flusher).Flush()
		}
	default:
		w.WriteHeader(404)
	}
}

func main() {
	f, err := os.OpenFile(os.Args[2], os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0644)
	if err != nil {
		panic(err)
	}
	var mu sync.Mutex
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		lw := &logWriter{ResponseWriter: w}
		handle(lw, r)
		if lw.status == 0 {
			lw.status = 200
		}
		mu.Lock()
		fmt.Fprintf(f, "%s %s %d %d\n", r.Method, r.URL.Path, lw.status, lw.n)
		mu.Unlock()
	})
	panic(http.ListenAndServe(os.Args[1], h))
}
