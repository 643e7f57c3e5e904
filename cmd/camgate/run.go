package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/camgate/camgate/pipeline"
)

const defaultConfig = "camgate.yml"

func cmdRun(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("camgate run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("c", "", "configuration file (default: "+defaultConfig+" if it exists, else the built-in demo)")
	rtspAddr := fs.String("rtsp", "", "RTSP listen address, overriding the configuration (e.g. :8554)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: camgate run [-c camgate.yml] [-rtsp :8554]\n\nRuns the gateway. Without a configuration file it runs four demo cameras and a\ngrid of them, so that rtsp://127.0.0.1:8554/demo/sub and\nrtsp://127.0.0.1:8554/grid/demo play with no camera at hand.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if *cfgPath == "" {
		if _, err := os.Stat(defaultConfig); err == nil {
			*cfgPath = defaultConfig
		}
	}

	var file *pipeline.File
	if *cfgPath != "" {
		f, err := pipeline.LoadFile(*cfgPath)
		if err != nil {
			fmt.Fprintf(stderr, "camgate: %v\n", err)
			return 1
		}
		file = f
	} else {
		file = &pipeline.File{}
		file.RTSP.Address = ":8554"
		file.RTSP.UDPRTPAddress, file.RTSP.UDPRTCPAddress = ":8000", ":8001"
	}
	if *rtspAddr != "" {
		file.RTSP.Address = *rtspAddr
	}
	log, err := newLogger(stderr, file.LogLevel, file.LogFormat)
	if err != nil {
		fmt.Fprintf(stderr, "camgate: %v\n", err)
		return 1
	}
	routeLibavLogs(log)

	var demo *pipeline.Demo
	if *cfgPath == "" {
		log.Info().Msg("no configuration file: running the demo cameras and grid (see camgate run -h)")
		d, cams, err := pipeline.StartDemo(pipeline.DemoCameras...)
		if err != nil {
			log.Error().Err(err).Msg("demo")
			return 1
		}
		demo = d
		defer demo.Close()
		file.Cameras = cams
		file.Grids = []pipeline.GridConfig{{Name: "demo", Cameras: pipeline.DemoCameras}}
	}

	gw, err := pipeline.StartGateway(file.Config, log)
	if err != nil {
		log.Error().Err(err).Msg("cannot start")
		return 1
	}
	for _, c := range gw.Cameras() {
		for _, path := range []string{c.Name() + "/main", c.Name() + "/sub"} {
			if path == c.Name()+"/sub" && !c.Config().Sub.Enabled {
				continue
			}
			fmt.Fprintf(stdout, "stream %s\n", gw.Server().URL(path))
		}
	}
	for _, g := range gw.Grids() {
		fmt.Fprintf(stdout, "stream %s\n", gw.Server().URL("grid/"+g.Name()))
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
	stop()
	log.Info().Msg("shutting down")
	done := make(chan struct{})
	go func() {
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
