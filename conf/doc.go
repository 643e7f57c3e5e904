// Package conf is camgate's configuration as a file: it reads camgate.yml,
// applies the environment's overrides, fills in and checks every setting,
// and edits the YAML document for the API without losing its comments.
//
// It produces what each consumer needs and nothing more: a pipeline.Config
// for the gateway, and the API's and the logger's settings for cmd/camgate.
//
//	conf.go      Conf, the API and log settings, the file's defaults
//	file.go      Load and Parse: the file's top level, strict YAML decoding
//	camera.go    a camera's section (and `defaults`) → pipeline.CameraConfig
//	grid.go      a grid's section → pipeline.GridConfig
//	output.go    sub, main and grid outputs, layered over their defaults
//	units.go     the spellings of sizes, bitrates and durations
//	secret.go    password and token files, credentials put into URLs
//	env.go       CAMGATE_* environment overrides
//	document.go  the file as a YAML document: load, reload, atomic save
//	edit.go      API edits of that document, checked before they are kept
//	effective.go the configuration with defaults filled in and secrets hidden
//
// The typed configuration the gateway runs (pipeline.Config, CameraConfig,
// GridConfig, OutputConfig, their defaults and Validate) stays in pipeline,
// on purpose: it is the gateway's input, which tests, the demo, the
// benchmarks and Gateway.Apply build in Go without any file, and whose rules
// (a name fits in an RTSP path, a grid's tiles are not too small, an
// encoder setting x264 accepts) are the runtime's to know. conf only spells
// that configuration in YAML: it parses, layers `defaults` under each camera,
// reports every problem with its line, and calls pipeline's own Validate,
// so that a file and a Go literal are checked by the same rules. pipeline
// therefore imports no YAML library and knows nothing of the API or the
// logs.
package conf
