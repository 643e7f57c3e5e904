package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"

	"github.com/camgate/camgate/conf"
)

// apiFlags are the flags of the commands that talk to a running camgate.
type apiFlags struct {
	addr, token, config string
	cert                string // the API's certificate file, when it serves HTTPS (checktls.go)
}

func (a *apiFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&a.addr, "api", "", "address of the running camgate's API (default: from the configuration, else "+conf.DefaultAPIListen+")")
	fs.StringVar(&a.token, "token", "", "API token (default: from the configuration or $"+conf.EnvAPIToken+")")
	fs.StringVar(&a.config, "c", "", "configuration file to read the API address and token from (default: "+conf.DefaultFile+" if it exists)")
}

// resolve fills the address and token from the configuration when not given.
func (a *apiFlags) resolve() {
	path := a.config
	if path == "" {
		if _, err := os.Stat(conf.DefaultFile); err == nil {
			path = conf.DefaultFile
		}
	}
	if path != "" {
		if f, err := conf.Load(path); err == nil {
			if a.addr == "" && !f.API.Off() {
				a.addr = f.API.Listen
			}
			if a.token == "" {
				a.token = f.API.Token
			}
			a.cert = f.TLS.API.Cert
		}
	}
	if a.token == "" {
		a.token = os.Getenv(conf.EnvAPIToken)
	}
	if a.addr == "" {
		// Without a file, the variable the server itself would obey (set in
		// containers, where the API may listen on every interface).
		if env := os.Getenv(conf.EnvAPIListen); env != "" && env != conf.APIOff {
			a.addr = env
		}
	}
	if a.addr == "" {
		a.addr = conf.DefaultAPIListen
	}
	if a.token == "" {
		a.token = readToken(path)
	}
	// A server listening on every interface is reached on loopback.
	if host, port, err := net.SplitHostPort(a.addr); err == nil {
		if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
			a.addr = net.JoinHostPort("127.0.0.1", port)
		}
	}
}

func (a *apiFlags) get(path string) (*http.Response, error) {
	client, scheme, err := apiClient(a.cert)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequest("GET", scheme+"://"+a.addr+path, nil)
	if err != nil {
		return nil, err
	}
	if a.token != "" {
		req.Header.Set("Authorization", "Bearer "+a.token)
	}
	return client.Do(req)
}

// cmdHealth exits 0 when a running camgate answers its health probe: for
// container health checks, without curl in the image.
func cmdHealth(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("camgate health", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var a apiFlags
	a.register(fs)
	ready := fs.Bool("ready", false, "ask /readyz (every camera ready) instead of /healthz (process alive)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	a.resolve()
	path := "/healthz"
	if *ready {
		path = "/readyz"
	}
	res, err := a.get(path)
	if err != nil {
		fmt.Fprintf(stderr, "camgate health: %v\n", err)
		return 1
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		fmt.Fprintf(stderr, "camgate health: %s: %s\n", res.Status, strings.TrimSpace(string(body)))
		return 1
	}
	fmt.Fprintln(stdout, "ok")
	return 0
}

// cmdSnapshot saves a camera's current picture, or a grid's (grid/NAME),
// from a running camgate.
func cmdSnapshot(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("camgate snapshot", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var a apiFlags
	a.register(fs)
	out := fs.String("o", "", "output file (default: CAMERA.jpg, or grid-NAME.jpg; - for standard output)")
	width := fs.Int("width", 0, "width in pixels (default: the camera's or the grid's)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: camgate snapshot [flags] CAMERA|grid/NAME")
		fs.PrintDefaults()
	}
	// Flags may come after the camera's name.
	var name string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		name, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if name == "" && fs.NArg() == 1 {
		name = fs.Arg(0)
	}
	if name == "" {
		fs.Usage()
		return 2
	}
	a.resolve()
	path, file := "/v1/cameras/"+url.PathEscape(name)+"/snapshot.jpg", name+".jpg"
	if grid, ok := strings.CutPrefix(name, "grid/"); ok {
		path, file = "/v1/grids/"+url.PathEscape(grid)+"/snapshot.jpg", "grid-"+grid+".jpg"
	}
	if *width > 0 {
		path += fmt.Sprintf("?width=%d", *width)
	}
	res, err := a.get(path)
	if err != nil {
		fmt.Fprintf(stderr, "camgate snapshot: %v\n", err)
		return 1
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil || res.StatusCode != http.StatusOK {
		fmt.Fprintf(stderr, "camgate snapshot: %s: %s\n", res.Status, strings.TrimSpace(string(body)))
		return 1
	}
	if *out == "-" {
		stdout.Write(body)
		return 0
	}
	if *out == "" {
		*out = file
	}
	if err := os.WriteFile(*out, body, 0o644); err != nil {
		fmt.Fprintf(stderr, "camgate snapshot: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "%s (%d bytes)\n", *out, len(body))
	return 0
}
