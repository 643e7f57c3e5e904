package conf

import (
	"strings"
)

// Environment variables override single values of the configuration file,
// for containers and secrets managers:
//
//	CAMGATE_RTSP_LISTEN, CAMGATE_RTSP_USER, CAMGATE_RTSP_PASSWORD, CAMGATE_RTSP_TOKEN
//	CAMGATE_WEBRTC_LISTEN, CAMGATE_WEBRTC_HOSTS (comma-separated), CAMGATE_HLS_LISTEN
//	CAMGATE_API_LISTEN, CAMGATE_API_TOKEN
//	CAMGATE_LOG_LEVEL, CAMGATE_LOG_FORMAT
//	CAMGATE_CAMERA_<NAME>_URL, CAMGATE_CAMERA_<NAME>_USER, CAMGATE_CAMERA_<NAME>_PASSWORD
//
// <NAME> is the camera's name in upper case with every character that is not
// a letter or digit replaced by "_" (front-door → FRONT_DOOR).
func applyEnv(fc *fileConfig, getenv func(string) string) {
	set := func(dst *string, key string) {
		if v := getenv(key); v != "" {
			*dst = v
		}
	}
	set(&fc.RTSP.Listen, "CAMGATE_RTSP_LISTEN")
	set(&fc.RTSP.User, "CAMGATE_RTSP_USER")
	set(&fc.RTSP.Password, "CAMGATE_RTSP_PASSWORD")
	set(&fc.RTSP.Token, "CAMGATE_RTSP_TOKEN")
	set(&fc.Anonymous, "CAMGATE_ANONYMOUS")
	set(&fc.WebRTC.Listen, "CAMGATE_WEBRTC_LISTEN")
	set(&fc.HLS.Listen, "CAMGATE_HLS_LISTEN")
	if v := getenv("CAMGATE_WEBRTC_HOSTS"); v != "" {
		fc.WebRTC.Hosts = strings.Split(v, ",")
	}
	set(&fc.API.Listen, EnvAPIListen)
	set(&fc.API.Token, EnvAPIToken)
	set(&fc.Log.Level, "CAMGATE_LOG_LEVEL")
	set(&fc.Log.Format, "CAMGATE_LOG_FORMAT")
}

// The variables that say where the API is, which the commands that talk to
// a running camgate obey too when there is no configuration file.
const (
	EnvAPIListen = "CAMGATE_API_LISTEN"
	EnvAPIToken  = "CAMGATE_API_TOKEN"
)

func applyCameraEnv(name string, fc *fileCamera, getenv func(string) string) {
	prefix := "CAMGATE_CAMERA_" + EnvName(name) + "_"
	for key, dst := range map[string]*string{"URL": &fc.URL, "USER": &fc.User, "PASSWORD": &fc.Password} {
		if v := getenv(prefix + key); v != "" {
			*dst = v
		}
	}
}

// EnvName is a camera name as it appears in environment variables.
func EnvName(name string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z':
			return r - 'a' + 'A'
		case r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
			return r
		}
		return '_'
	}, name)
}
