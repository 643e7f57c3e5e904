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
)

func cmdRun(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("camgate run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("c", "", "configuration file (default: "+conf.DefaultFile+" if it exists, else the built-in demo)")
	rtspAddr := fs.String("rtsp", "", "RTSP listen address, overriding the configuration (e.g. :8554)")
	apiAddr := fs.String("api", "", "API and dashboard listen address, overriding the configuration (\"off\" disables them)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, `Usage: camgate run [-c camgate.yml] [-rtsp :8554] [-api 127.0.0.1:9997]

Runs the gateway. Without a configuration file it runs four demo cameras and a
grid of them, so that rtsp://127.0.0.1:8554/demo/sub and
rtsp://127.0.0.1:8554/grid/demo play with no camera at hand. The dashboard is
at http://127.0.0.1:9997/.

SIGINT and SIGTERM stop it cleanly; SIGHUP reloads the configuration file and
applies only what changed.

`)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if *cfgPath == "" {
		if _, err := os.Stat(conf.DefaultFile); err == nil {
			*cfgPath = conf.DefaultFile
		}
	}

	var doc *conf.Document
	var file *conf.Conf
	var demoCams *demo.Demo
	if *cfgPath != "" {
		var err error
		if doc, err = conf.LoadDocument(*cfgPath); err == nil {
			file, err = doc.Parse()
		}
		if err != nil {
			fmt.Fprintf(stderr, "camgate: %s: %v\n", *cfgPath, err)
			return 1
		}
	} else {
		d, text, err := demo.Start(demo.Names...)
		if err != nil {
			fmt.Fprintf(stderr, "camgate: demo: %v\n", err)
			return 1
		}
		demoCams = d
		defer demoCams.Close()
		if doc, err = conf.NewDocument(text); err == nil {
			file, err = doc.Parse()
		}
		if err != nil {
			fmt.Fprintf(stderr, "camgate: demo configuration: %v\n", err)
			return 1
		}
	}
	if *rtspAddr != "" {
		file.RTSP.Address = *rtspAddr
	}
	if *apiAddr != "" {
		file.API.Listen = *apiAddr
	}
	log, err := newLogger(stderr, file.Log.Level, file.Log.Format)
	if err != nil {
		fmt.Fprintf(stderr, "camgate: %v\n", err)
		return 1
	}
	routeLibavLogs(log)
	if demoCams != nil {
		log.Info().Msg("no configuration file: running the demo cameras and grid (see camgate run -h)")
	}

	if rtpAddr, rtcpAddr := file.RTSP.UDPRTPAddress, file.RTSP.UDPRTCPAddress; rtpAddr != "" && !udpFree(rtpAddr, rtcpAddr) {
		// UDP is an option for readers; TCP always works. Do not refuse to
		// start over it, say it.
		log.Warn().Str("rtp", rtpAddr).Str("rtcp", rtcpAddr).Msg("UDP ports for readers are taken: readers will use TCP only")
		file.RTSP.UDPRTPAddress, file.RTSP.UDPRTCPAddress = "", ""
	}
	gw, err := pipeline.StartGateway(file.Config, log)
	if err != nil {
		log.Error().Err(err).Msg("cannot start")
		return 1
	}
	var srv *api.Server
	if !file.API.Off() {
		srv, err = api.New(api.Config{Address: file.API.Listen, Token: file.API.Token, Version: version}, gw, doc, log)
		if err == nil {
			err = srv.Start()
		}
		if err != nil {
			gw.Close()
			log.Error().Err(err).Msg("cannot start")
			return 1
		}
		fmt.Fprintf(stdout, "dashboard http://%s/\n", srv.Addr())
	}
	for _, c := range gw.Cameras() {
		fmt.Fprintf(stdout, "stream %s\n", gw.Server().URL(c.Name()+"/main"))
		if c.Config().Sub.Enabled {
			fmt.Fprintf(stdout, "stream %s\n", gw.Server().URL(c.Name()+"/sub"))
		}
	}
	for _, g := range gw.Grids() {
		fmt.Fprintf(stdout, "stream %s\n", gw.Server().URL("grid/"+g.Name()))
	}

	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer signal.Stop(sigs)
	// The file is also watched: an edit applies within 2 s, without a signal.
	// (Polling its size and time survives editors that replace the file.)
	watch := time.NewTicker(2 * time.Second)
	defer watch.Stop()
	stamp := fileStamp(doc.Path())
loop:
	for {
		select {
		case sig := <-sigs:
			if sig != syscall.SIGHUP {
				break loop
			}
			reload(doc, gw, log)
			stamp = fileStamp(doc.Path())
		case <-watch.C:
			if st := fileStamp(doc.Path()); st != stamp {
				stamp = st
				log.Info().Str("file", doc.Path()).Msg("configuration file changed")
				reload(doc, gw, log)
			}
		}
	}
	log.Info().Msg("shutting down")
	done := make(chan struct{})
	go func() {
		if srv != nil {
			srv.Close()
		}
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

// fileStamp identifies a version of a file by its size and modification time.
func fileStamp(path string) string {
	if path == "" {
		return ""
	}
	st, err := os.Stat(path)
	if err != nil {
		return ""
	}
	return fmt.Sprint(st.Size(), st.ModTime().UnixNano())
}

// reload applies the configuration file again: only what changed is touched.
func reload(doc *conf.Document, gw *pipeline.Gateway, log zerolog.Logger) {
	if doc.Path() == "" {
		log.Warn().Msg("reload: the demo has no configuration file")
		return
	}
	f, err := doc.Reload()
	if err != nil {
		log.Error().Err(err).Msg("reload: configuration not applied; the running one stays")
		return
	}
	changes, err := gw.Apply(f.Config)
	var names []string
	for _, c := range changes {
		names = append(names, c.String())
	}
	ev := log.Info()
	if err != nil {
		ev = log.Warn().Err(err)
	}
	ev.Str("changes", strings.Join(names, ", ")).Msg("reload: configuration applied")
}
