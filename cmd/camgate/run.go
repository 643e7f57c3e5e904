package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/rs/zerolog"

	"github.com/camgate/camgate/api"
	"github.com/camgate/camgate/conf"
	"github.com/camgate/camgate/demo"
	"github.com/camgate/camgate/pipeline"
	"github.com/camgate/camgate/transcode"
)

// cmdRun runs the gateway until SIGINT or SIGTERM.
func cmdRun(args []string, stdout, stderr io.Writer) int {
	flags, code, ok := parseRunFlags(args, stderr)
	if !ok {
		return code
	}
	// The logger comes from the configuration; until it is made, libav's
	// chatter (x264's banner and statistics while the demo renders its
	// clips) stays quiet. Failures come back as errors all the same.
	transcode.SetLogHandler(transcode.LogError, nil)
	doc, file, demoCams, err := loadRunConfig(flags.config)
	if err != nil {
		fmt.Fprintf(stderr, "camgate: %v\n", err)
		return 1
	}
	if demoCams != nil {
		defer demoCams.Close()
	}
	flags.override(file)
	log, err := newLogger(stderr, file.Log.Level, file.Log.Format)
	if err != nil {
		fmt.Fprintf(stderr, "camgate: %v\n", err)
		return 1
	}
	routeLibavLogs(log)
	if demoCams != nil {
		log.Info().Msg("no configuration file: running the demo cameras and grid (see camgate run -h)")
	}
	readersUDPOrTCP(file, log)

	gw, browsers, srv, err := startGateway(file, doc, log)
	if err != nil {
		log.Error().Err(err).Msg("cannot start")
		return 1
	}
	printAddresses(stdout, gw, browsers, srv)
	serveUntilStopped(doc, gw, log)
	return shutdown(gw, browsers, srv, log)
}

// runFlags are camgate run's flags.
type runFlags struct {
	config     string // "": the default file if it exists, else the demo
	rtspAddr   string // overrides rtsp.listen
	apiAddr    string // overrides api.listen
	webrtcAddr string // overrides webrtc.listen
	hlsAddr    string // overrides hls.listen
}

// parseRunFlags reads the flags; when it returns !ok, the command ends with code.
func parseRunFlags(args []string, stderr io.Writer) (f runFlags, code int, ok bool) {
	fs := flag.NewFlagSet("camgate run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&f.config, "c", "", "configuration file (default: "+conf.DefaultFile+" if it exists, else the built-in demo)")
	fs.StringVar(&f.rtspAddr, "rtsp", "", "RTSP listen address, overriding the configuration (e.g. "+conf.DefaultRTSPListen+")")
	fs.StringVar(&f.apiAddr, "api", "", "API and dashboard listen address, overriding the configuration (\""+conf.APIOff+"\" disables them)")
	fs.StringVar(&f.webrtcAddr, "webrtc", "", "WebRTC (WHEP) listen address, overriding the configuration (e.g. "+conf.DefaultWebRTCListen+"; \"off\"; a port of 0 makes the ICE ports ephemeral too)")
	fs.StringVar(&f.hlsAddr, "hls", "", "LL-HLS listen address, overriding the configuration (e.g. "+conf.DefaultHLSListen+"; \"off\")")
	fs.Usage = func() {
		fmt.Fprintf(stderr, `Usage: camgate run [-c %[1]s] [-rtsp %[2]s] [-api %[3]s] [-webrtc :8889] [-hls :8888]

Runs the gateway. Without a configuration file it runs four demo cameras and a
grid of them, so that rtsp://127.0.0.1%[2]s/demo/sub and
rtsp://127.0.0.1%[2]s/grid/demo play with no camera at hand. The dashboard is
at http://%[3]s/; every stream also plays in a browser, over WebRTC at
http://127.0.0.1:8889/<path>/ and over LL-HLS at http://127.0.0.1:8888/<path>/.

SIGINT and SIGTERM stop it cleanly; SIGHUP reloads the configuration file and
applies only what changed.

`, conf.DefaultFile, conf.DefaultRTSPListen, conf.DefaultAPIListen)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return f, 0, false
		}
		return f, 2, false
	}
	if f.config == "" {
		if _, err := os.Stat(conf.DefaultFile); err == nil {
			f.config = conf.DefaultFile
		}
	}
	return f, 0, true
}

// override applies the flags over the configuration.
func (f runFlags) override(c *conf.Conf) {
	if f.rtspAddr != "" {
		c.RTSP.Address = f.rtspAddr
	}
	if f.apiAddr != "" {
		c.API.Listen = f.apiAddr
	}
	if f.webrtcAddr != "" {
		c.WebRTC.Listen = f.webrtcAddr
		ephemeralICE(&c.WebRTC)
	}
	if f.hlsAddr != "" {
		c.HLS.Listen = f.hlsAddr
	}
}

// loadRunConfig reads the configuration file, or, when there is none
// (path ""), starts the demo's fake cameras and makes the configuration that
// pulls them. demoCams is nil without the demo; the caller closes it.
func loadRunConfig(path string) (doc *conf.Document, file *conf.Conf, demoCams *demo.Demo, err error) {
	if path != "" {
		if doc, err = conf.LoadDocument(path); err == nil {
			file, err = doc.Parse()
		}
		if err != nil {
			return nil, nil, nil, fmt.Errorf("%s: %w", path, err)
		}
		return doc, file, nil, nil
	}
	demoCams, text, err := demo.Start(demo.Names...)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("demo: %w", err)
	}
	if doc, err = conf.NewDocument(text); err == nil {
		file, err = doc.Parse()
	}
	if err != nil {
		demoCams.Close()
		return nil, nil, nil, fmt.Errorf("demo configuration: %w", err)
	}
	return doc, file, demoCams, nil
}

// readersUDPOrTCP leaves readers on TCP only when the UDP ports for them are
// taken. UDP is an option for readers; TCP always works: do not refuse to
// start over it, say it.
func readersUDPOrTCP(file *conf.Conf, log zerolog.Logger) {
	if rtpAddr, rtcpAddr := file.RTSP.UDPRTPAddress, file.RTSP.UDPRTCPAddress; rtpAddr != "" && !udpFree(rtpAddr, rtcpAddr) {
		log.Warn().Str("rtp", rtpAddr).Str("rtcp", rtcpAddr).Msg("UDP ports for readers are taken: readers will use TCP only")
		file.RTSP.UDPRTPAddress, file.RTSP.UDPRTCPAddress = "", ""
	}
}

// startGateway starts the gateway, its browser listeners, then the API
// unless it is off (srv nil). On an error nothing is left running.
func startGateway(file *conf.Conf, doc *conf.Document, log zerolog.Logger) (*pipeline.Gateway, *browserServers, *api.Server, error) {
	if err := startTLS(file, log); err != nil {
		return nil, nil, nil, err
	}
	gw, err := pipeline.StartGateway(file.Config, log)
	if err != nil {
		return nil, nil, nil, err
	}
	browsers, err := startBrowserServers(file, gw, log)
	if err != nil {
		gw.Close()
		return nil, nil, nil, err
	}
	if file.API.Off() {
		return gw, browsers, nil, nil
	}
	tlsConf, err := serverTLS(file.TLS.API, log)
	var srv *api.Server
	if err == nil {
		srv, err = api.New(api.Config{Address: file.API.Listen, Token: file.API.Token, ReadToken: file.API.ReadToken, Hosts: file.API.Hosts, Version: version, Live: browsers.live(*file), TLS: tlsConf}, gw, doc, log)
	}
	if err == nil {
		err = srv.Start()
	}
	if err != nil {
		browsers.Close()
		gw.Close()
		return nil, nil, nil, err
	}
	return gw, browsers, srv, nil
}

// printAddresses prints the dashboard's URL and every stream's, one a line.
func printAddresses(stdout io.Writer, gw *pipeline.Gateway, browsers *browserServers, srv *api.Server) {
	if srv != nil {
		fmt.Fprintf(stdout, "dashboard %s\n", srv.URL())
	}
	for _, c := range gw.Cameras() {
		printStream(stdout, gw.Server(), c.Name()+"/main")
		if c.Config().Sub.Enabled {
			printStream(stdout, gw.Server(), c.Name()+"/sub")
			browsers.printURLs(stdout, c.Name()+"/sub")
		}
	}
	for _, g := range gw.Grids() {
		printStream(stdout, gw.Server(), "grid/"+g.Name())
		browsers.printURLs(stdout, "grid/"+g.Name())
	}
}

// serveUntilStopped returns on SIGINT or SIGTERM, reloading the
// configuration on SIGHUP and when its file changes.
func serveUntilStopped(doc *conf.Document, gw *pipeline.Gateway, log zerolog.Logger) {
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer signal.Stop(sigs)
	// The file is also watched: an edit applies within 2 s, without a signal.
	// Its content is compared, not its time: camgate's own saves, and a
	// content already refused, are not reloaded (conf.Document.Reload).
	watch := time.NewTicker(2 * time.Second)
	defer watch.Stop()
	r := reloader{doc: doc, gw: gw, log: log}
	for {
		select {
		case sig := <-sigs:
			if sig != syscall.SIGHUP {
				return
			}
			r.reload(true)
		case <-watch.C:
			if doc.Path() != "" {
				r.reload(false)
			}
		}
	}
}

// shutdown stops the API and the gateway, and gives up after 3 s; it
// returns the command's exit code.
func shutdown(gw *pipeline.Gateway, browsers *browserServers, srv *api.Server, log zerolog.Logger) int {
	log.Info().Msg("shutting down")
	done := make(chan struct{})
	go func() {
		if srv != nil {
			srv.Close()
		}
		browsers.Close()
		gw.Close()
		close(done)
	}()
	select {
	case <-done:
		log.Info().Msg("stopped")
		return 0
	case <-time.After(3 * time.Second):
		log.Error().Msg("shutdown took more than 3 s; exiting anyway")
		return 1
	}
}

// udpFree reports whether both UDP addresses can be bound.
func udpFree(addrs ...string) bool {
	for _, a := range addrs {
		pc, err := net.ListenPacket("udp", a)
		if err != nil {
			return false
		}
		pc.Close()
	}
	return true
}

// reloader applies the configuration file again when it changes.
type reloader struct {
	doc     *conf.Document
	gw      *pipeline.Gateway
	log     zerolog.Logger
	readErr string // the last error reading the file, said once
}

// reload applies the configuration file again if it changed (or, with
// force, in any case): only what changed is touched. A reload never runs
// between an API change and its save (conf.Document.Reload).
func (r *reloader) reload(force bool) {
	if r.doc.Path() == "" {
		r.log.Warn().Msg("reload: the demo has no configuration file")
		return
	}
	var changes []pipeline.Change
	applied := false
	changed, err := r.doc.Reload(force, func(f *conf.Conf) error {
		var err error
		applied = true
		changes, err = r.gw.Apply(f.Config)
		return err
	})
	switch {
	case !changed && err != nil:
		if err.Error() != r.readErr {
			r.log.Error().Err(err).Msg("reload: cannot read the configuration file; the running configuration stays")
		}
		r.readErr = err.Error()
		return
	case !changed:
		r.readErr = ""
		return
	case !applied:
		r.log.Error().Err(err).Msg("reload: configuration not applied; the running one stays")
		return
	}
	var names []string
	for _, c := range changes {
		names = append(names, c.String())
	}
	ev := r.log.Info()
	if err != nil {
		ev = r.log.Warn().Err(err)
	}
	ev.Str("file", r.doc.Path()).Str("changes", strings.Join(names, ", ")).Msg("reload: configuration applied")
}
