// main.go: the stand-in for the sidecar manifest's example application (whose real image,
// nginx-unprivileged, no registry here can provide): a static net/http server on -addr.
package main

import (
	"flag"
	"fmt"
	"log"
	"net/http"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "listen address")
	flag.Parse()
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "app %s\n", r.URL.Path)
	})
	log.Fatal(http.ListenAndServe(*addr, nil))
}
