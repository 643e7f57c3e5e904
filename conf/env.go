package conf

import (
	"os"
	"strings"
)

// Environment variables override single values of the configuration file,
// for containers and secrets managers:
//
//	CAMGATE_RTSP_LISTEN, CAMGATE_RTSP_USER, CAMGATE_RTSP_PASSWORD, CAMGATE_RTSP_TOKEN
//	CAMGATE_WEBRTC_LISTEN, CAMGATE_WEBRTC_HOSTS (comma-separated), CAMGATE_HLS_LISTEN
//	CAMGATE_API_LISTEN, CAMGATE_API_TOKEN, CAMGATE_API_READ_TOKEN, CAMGATE_API_HOSTS (comma-separated)
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
	set(&fc.API.ReadToken, EnvAPIReadToken)
	if v := getenv("CAMGATE_API_HOSTS"); v != "" {
		fc.API.Hosts = strings.Split(v, ",")
	}
	set(&fc.Log.Level, "CAMGATE_LOG_LEVEL")
	set(&fc.Log.Format, "CAMGATE_LOG_FORMAT")
}

// The variables that say where the API is, which the commands that talk to
// a running camgate obey too when there is no configuration file.
const (
	EnvAPIListen    = "CAMGATE_API_LISTEN"
	EnvAPIToken     = "CAMGATE_API_TOKEN"
	EnvAPIReadToken = "CAMGATE_API_READ_TOKEN"
)

// applyCameraEnv applies a camera's variables. Its user and password are
// attached unless the camera's section says env_credentials: false, which
// the API writes when it points the camera at a host other than the one
// those credentials were given for (see api/credentials.go).
func applyCameraEnv(name string, fc *fileCamera, getenv func(string) string) {
	prefix := "CAMGATE_CAMERA_" + EnvName(name) + "_"
	if v := getenv(prefix + "URL"); v != "" {
		fc.URL = v
	}
	if v := getenv(prefix + "SUB_URL"); v != "" {
		fc.SubURL = v
	}
	if fc.EnvCredentials != nil && !*fc.EnvCredentials {
		return
	}
	for key, dst := range map[string]*string{"USER": &fc.User, "PASSWORD": &fc.Password} {
		if v := getenv(prefix + key); v != "" {
			*dst = v
		}
	}
}

// EnvCameraURL returns the URL CAMGATE_CAMERA_<NAME>_URL gives camera name,
// or "": it wins over the configuration's, and over any URL sent to the API.
func EnvCameraURL(name string) string {
	return os.Getenv("CAMGATE_CAMERA_" + EnvName(name) + "_URL")
}

// HasEnvCredentials reports whether the environment holds a user or a
// password for camera name.
func HasEnvCredentials(name string) bool {
	prefix := "CAMGATE_CAMERA_" + EnvName(name) + "_"
	return os.Getenv(prefix+"USER") != "" || os.Getenv(prefix+"PASSWORD") != ""
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
